// 応募者の取り込み: while the check or the import runs in the background, show N/M rows from the small JSON
// endpoint and reload the page when the job has finished. Without JS the page reloads itself (<noscript>
// refresh) and shows the same numbers. No inline script (CSP).
(function () {
  "use strict";
  var POLL_MS = 2000;

  function setup() {
    var holder = document.querySelector("[data-import-progress]");
    if (!holder) return;
    var url = holder.getAttribute("data-import-progress");
    var bar = holder.querySelector("progress");
    function set(key, value) {
      holder.querySelectorAll('[data-import="' + key + '"]').forEach(function (node) {
        node.textContent = String(value);
      });
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          if (!data.running) { window.location.reload(); return; }
          set("done", data.done.toLocaleString());
          set("total", data.total ? data.total.toLocaleString() : "—");
          set("label", data.label);
          if (bar) {
            if (data.total) { bar.max = data.total; bar.value = data.done; } else { bar.removeAttribute("value"); }
          }
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () { window.setTimeout(poll, POLL_MS * 2); });
    }
    window.setTimeout(poll, POLL_MS);
  }

  var ready = window.e2rpro ? window.e2rpro.onReady : function (fn) { document.addEventListener("DOMContentLoaded", fn); };
  ready(setup);
})();
