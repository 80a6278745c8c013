// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog && dialog.showModal) {
        e.preventDefault();
        dialog.showModal();
        var field = dialog.querySelector("textarea, input:not([type=hidden])");
        if (field) field.focus();
      }
      return;
    }
    var closer = e.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-autosubmit]")) e.target.form.submit();
  });
  // Polls skip hidden tabs. htmx's own filter (every 10s [document.visibilityState …]) needs eval,
  // which our Content-Security-Policy forbids.
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (document.visibilityState !== "visible" && e.detail.elt.matches("[data-poll-when-visible]")) e.preventDefault();
  });
  // A search the list cannot read answers 400 with the reason in place of the rows: show it
  // (htmx swaps no 4xx by default).
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr.status === 400 && xhr.responseText.indexOf("data-search-error") !== -1) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  // A failed live refresh keeps the rows on screen and says so, instead of failing silently.
  document.addEventListener("htmx:responseError", function (e) { flag(e.target, "The last refresh failed; retrying."); });
  document.addEventListener("htmx:sendError", function (e) { flag(e.target, "The server is unreachable; retrying."); });
  document.addEventListener("htmx:afterSwap", function () { flag(document.body, ""); });
  function flag(target, text) {
    var note = document.getElementById("refresh-error");
    if (!note) {
      note = document.createElement("p");
      note.id = "refresh-error";
      note.className = "refresh-error";
      note.setAttribute("role", "alert");
      var main = document.querySelector("main");
      if (main) main.prepend(note);
    }
    note.textContent = text;
    note.hidden = !text;
  }
})();
