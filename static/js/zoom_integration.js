// Zoom service page: reload when the link's state changes elsewhere (e.g. the app was removed in Zoom's
// Marketplace, which reaches us as a webhook), so 連携解除 shows within seconds without a manual reload.
(function () {
  "use strict";
  var POLL_MS = 4000;

  function start() {
    var holder = document.querySelector("[data-zoom-poll]");
    if (!holder || !window.fetch) return;
    var url = holder.getAttribute("data-zoom-poll");
    var shown = holder.getAttribute("data-zoom-status");
    var timer = null;

    function poll() {
      if (document.hidden) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && data.status && data.status !== shown) {
            window.clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () { /* offline for a moment: try again on the next tick */ });
    }

    timer = window.setInterval(poll, POLL_MS);
  }

  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
