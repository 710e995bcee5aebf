// notifications: live preview of a mail template while typing, and inserting placeholders at the cursor.
// The page works without this file (the プレビュー button renders the same preview on the server).
(function () {
  "use strict";

  function setupLivePreview(form) {
    var url = form.getAttribute("data-live-preview");
    var target = document.getElementById("mail-preview");
    if (!url || !target) return;
    var timer = null;
    var latest = 0;
    function refresh() {
      var ticket = ++latest;
      fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null && ticket === latest) target.innerHTML = html; })
        .catch(function () { /* keep the last preview; the button still works */ });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  }

  function setupPlaceholderButtons(form) {
    var lastField = form.querySelector("textarea");
    form.addEventListener("focusin", function (event) {
      if (event.target.matches("input[type=text], textarea")) lastField = event.target;
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-insert-placeholder]");
      if (!button || !lastField) return;
      var text = button.getAttribute("data-insert-placeholder");
      var start = lastField.selectionStart, end = lastField.selectionEnd;
      lastField.value = lastField.value.slice(0, start) + text + lastField.value.slice(end);
      lastField.focus();
      lastField.selectionStart = lastField.selectionEnd = start + text.length;
      lastField.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-live-preview]");
    if (!form) return;
    setupLivePreview(form);
    setupPlaceholderButtons(form);
  });
})();
