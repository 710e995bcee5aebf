// 日程設定, the dashboard and the 一括操作 page: live numbers from small JSON endpoints. Loaded as a local
// file (strict CSP, no inline script); without JS the server-rendered numbers stay.
(function () {
  "use strict";
  var POLL_MS = 4000;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; });
  }

  function setText(root, attr, key, value) {
    root.querySelectorAll("[" + attr + '="' + key + '"]').forEach(function (node) {
      node.textContent = String(value);
    });
  }

  // Cells marked data-live-cell="<key>" (a slot's issuance state and URL) are taken from a fresh copy of
  // this page; the rest of the page (ticked checkboxes, scroll) stays as it is.
  function refreshLiveCells() {
    if (!document.querySelector("[data-live-cell]")) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-cell]").forEach(function (cell) {
          var key = cell.getAttribute("data-live-cell");
          var match = fresh.querySelector('[data-live-cell="' + key + '"]');
          if (match && match.innerHTML !== cell.innerHTML) cell.innerHTML = match.innerHTML;
        });
      }).catch(function () { /* offline for a moment: next change */ });
  }

  // <p data-progress-poll="/scheduling/progress/?meeting=1"> with <span data-progress="issued|total|pending|failed">;
  // when the numbers change, the slots' own cells on the page follow.
  function setupProgress() {
    document.querySelectorAll("[data-progress-poll]").forEach(function (holder) {
      var url = holder.getAttribute("data-progress-poll");
      function poll() {
        if (document.hidden) return;
        getJSON(url).then(function (data) {
          if (!data) return;
          var changed = ["issued", "pending", "failed"].some(function (key) {
            var node = holder.querySelector('[data-progress="' + key + '"]');
            return node && typeof data[key] === "number" && node.textContent !== String(data[key]);
          });
          if (changed) refreshLiveCells();
          ["issued", "total", "pending", "failed"].forEach(function (key) {
            if (typeof data[key] === "number") setText(holder, "data-progress", key, data[key]);
          });
          var badge = holder.querySelector("[data-progress-failed-badge]");
          if (badge) {
            badge.classList.toggle("badge--danger", data.failed > 0);
            badge.classList.toggle("badge--muted", !(data.failed > 0));
          }
        }).catch(function () { /* offline for a moment: next tick */ });
      }
      window.setInterval(poll, POLL_MS);
    });
  }

  // <section data-batch-poll="/scheduling/batches/1/status/" data-batch-finished="0"> with
  // <span data-batch="done|total|failed">; reloads once when the batch finishes (to list the failures).
  function setupBatch() {
    var holder = document.querySelector("[data-batch-poll]");
    if (!holder || holder.getAttribute("data-batch-finished") === "1") return;
    var url = holder.getAttribute("data-batch-poll");
    var timer = null;
    function poll() {
      if (document.hidden) return;
      getJSON(url).then(function (data) {
        if (!data) return;
        ["done", "total", "failed"].forEach(function (key) {
          setText(holder, "data-batch", key, data[key]);
        });
        var bar = holder.querySelector('[data-batch="bar"]');
        if (bar) { bar.max = data.total; bar.value = data.done; }
        if (data.finished) {
          window.clearInterval(timer);
          window.location.reload();
        }
      }).catch(function () { /* offline for a moment: next tick */ });
    }
    timer = window.setInterval(poll, POLL_MS / 2);
  }

  function start() {
    if (!window.fetch) return;
    setupProgress();
    setupBatch();
  }

  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
