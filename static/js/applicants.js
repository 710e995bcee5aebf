// 応募者 pages: the bulk bar of the list and the 新卒 / 中途 fields of the form. No inline script (CSP).
(function () {
  "use strict";

  // The list: count the selected rows; bulk buttons stay disabled until something is selected.
  function setupBulkBar() {
    var form = document.querySelector("[data-bulk-form]");
    if (!form) return;
    var counter = form.querySelector("[data-selected-count]");
    var buttons = form.querySelectorAll("[data-needs-selection]");
    function update() {
      var count = form.querySelectorAll('input[type=checkbox][name="ids"]:checked').length;
      if (counter) counter.textContent = String(count);
      buttons.forEach(function (button) { button.disabled = count === 0; });
    }
    form.addEventListener("change", function () { setTimeout(update, 0); });
    update();
  }

  // The form: show the school fields for 新卒 and the employer for 中途 (both stay in the page).
  function setupTrackFields() {
    var form = document.querySelector("[data-applicant-form]");
    if (!form) return;
    function update() {
      var checked = form.querySelector('input[name="track"]:checked');
      if (!checked) return;
      form.querySelectorAll("[data-track-group]").forEach(function (field) {
        var hasValue = Array.prototype.some.call(field.querySelectorAll("input"), function (input) {
          return input.value !== "";
        });
        field.hidden = field.getAttribute("data-track-group") !== checked.value && !hasValue;
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "track") update();
    });
    update();
  }

  var ready = window.e2rpro ? window.e2rpro.onReady : function (fn) { document.addEventListener("DOMContentLoaded", fn); };
  ready(function () {
    setupBulkBar();
    setupTrackFields();
  });
})();
