// 応募者の一括操作: the job page polls its progress (a small JSON endpoint) and reloads once when it is done,
// to list the failures. Loaded as a local file (strict CSP); without JS the page's 更新 link reloads it.
(function () {
  "use strict";
  var POLL_MS = 2000;

  function setText(root, key, value) {
    root.querySelectorAll('[data-job="' + key + '"]').forEach(function (node) {
      node.textContent = String(value);
    });
  }

  function setupJob() {
    var holder = document.querySelector("[data-job-poll]");
    if (!holder || holder.getAttribute("data-job-finished") === "1" || !window.fetch) return;
    var url = holder.getAttribute("data-job-poll");
    var timer = null;
    function poll() {
      if (document.hidden) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          ["processed", "total", "failed"].forEach(function (key) { setText(holder, key, data[key]); });
          ["sent", "queued", "failed"].forEach(function (key) { setText(holder, "mail." + key, data.mail[key]); });
          var bar = holder.querySelector('[data-job="bar"]');
          if (bar) { bar.max = data.total; bar.value = data.processed; }
          if (data.finished && data.mail.queued === 0) {
            window.clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () { /* offline for a moment: next tick */ });
    }
    timer = window.setInterval(poll, POLL_MS);
  }

  // The applicant list: 一括操作へ進む needs a selection unless 検索結果のすべて is chosen.
  function setupBulkScope() {
    var form = document.querySelector("[data-bulk-form]");
    if (!form) return;
    var button = form.querySelector("[data-needs-selection-or-all]");
    if (!button) return;
    function update() {
      var all = form.querySelector('input[name="scope"][value="filter"]:checked');
      var count = form.querySelectorAll('input[type=checkbox][name="ids"]:checked').length;
      button.disabled = !all && count === 0;
    }
    form.addEventListener("change", function () { setTimeout(update, 0); });
    update();
  }

  function start() {
    setupJob();
    setupBulkScope();
  }

  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
