// e2RPRO: small progressive enhancements. Loaded as a local file; no inline script anywhere (strict CSP).
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Mobile navigation toggle.
  function setupNavToggle() {
    var button = document.querySelector("[data-nav-toggle]");
    var nav = document.getElementById("main-nav");
    if (!button || !nav) return;
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("is-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // <button data-copy="#input-id"> copies the target's value (or text) to the clipboard.
  function setupCopyButtons() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-copy]");
      if (!button) return;
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) return;
      var text = target.value !== undefined ? target.value : target.textContent;
      var done = function () {
        var original = button.textContent;
        button.textContent = button.getAttribute("data-copied-label") || "✓";
        setTimeout(function () { button.textContent = original; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else if (target.select) {
        target.select();
        document.execCommand("copy");
        done();
      }
    });
  }

  // <form data-confirm="..."> asks before submitting.
  function setupConfirmations() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var message = form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) event.preventDefault();
    }, true);
  }

  // <input type="checkbox" data-select-all="name"> toggles every checkbox with that name in its form (or
  // on the page when it is outside a form).
  function setupSelectAll() {
    document.addEventListener("change", function (event) {
      var box = event.target.closest("[data-select-all]");
      if (!box) return;
      var name = box.getAttribute("data-select-all");
      (box.form || document).querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
        other.checked = box.checked;
      });
    });
  }

  // <select data-autosubmit> submits its form on change (filters).
  function setupAutoSubmit() {
    document.addEventListener("change", function (event) {
      var field = event.target.closest("[data-autosubmit]");
      if (field && field.form) field.form.submit();
    });
  }

  // <select data-show-when="web_meeting=zoom"> shows its .field only while the form's field "web_meeting"
  // has the value "zoom" (e.g. Zoomユーザ選択 only when Web面接連携 is Zoom). Without JS every field shows.
  function setupShowWhen() {
    var dependents = document.querySelectorAll("[data-show-when]");
    if (!dependents.length) return;
    function currentValue(form, name) {
      var checked = form.querySelector('[name="' + name + '"]:checked');
      if (checked) return checked.value;
      var field = form.querySelector('select[name="' + name + '"]');
      return field ? field.value : null;
    }
    function refresh() {
      dependents.forEach(function (element) {
        var rule = element.getAttribute("data-show-when").split("=");
        var wrapper = element.closest(".field") || element;
        wrapper.hidden = element.form ? currentValue(element.form, rule[0]) !== rule[1] : false;
      });
    }
    document.addEventListener("change", refresh);
    refresh();
  }

  window.e2rpro = { onReady: onReady };
  onReady(function () {
    setupNavToggle();
    setupCopyButtons();
    setupConfirmations();
    setupSelectAll();
    setupAutoSubmit();
    setupShowWhen();
  });
})();
