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
  // "Save view" saves the filters in the address bar: htmx updates those without reloading the form.
  document.addEventListener("submit", function (e) {
    if (!e.target.matches("[data-current-query]")) return;
    var field = e.target.querySelector("input[name=query]");
    if (field) field.value = window.location.search.replace(/^\?/, "");
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
  // Bulk actions: the rows' checkboxes belong to the form#bulk above the rows (form="bulk"), so
  // the 10 s refresh that swaps the rows keeps the form; the selection is kept here and restored.
  var selected = new Set();
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("input[name=group][form=bulk]")); }
  function showSelection() {
    var form = document.getElementById("bulk");
    if (!form) return;
    var shown = new Set(boxes().map(function (box) { return box.value; }));
    selected.forEach(function (id) { if (!shown.has(id)) selected.delete(id); });  // only what is sent
    boxes().forEach(function (box) { box.checked = selected.has(box.value); });
    var all = document.querySelector("[data-select-page]");
    var onPage = boxes();
    if (all) all.checked = onPage.length > 0 && onPage.every(function (box) { return box.checked; });
    var count = form.querySelector("[data-selected-count]");
    if (count) count.textContent = selected.size ? selected.size + " selected" : "Select groups";
    form.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = selected.size < Number(button.dataset.minSelection || 1);
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("input[name=group][form=bulk]")) {
      if (e.target.checked) selected.add(e.target.value); else selected.delete(e.target.value);
      showSelection();
    } else if (e.target.matches("[data-select-page]")) {
      boxes().forEach(function (box) { if (e.target.checked) selected.add(box.value); else selected.delete(box.value); });
      showSelection();
    }
  });
  document.addEventListener("submit", function (e) {
    if (e.target.id !== "bulk") return;
    var button = e.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) { e.preventDefault(); return; }
    e.target.querySelector("input[name=next]").value = location.pathname + location.search;
  });
  document.addEventListener("htmx:afterSwap", showSelection);
  document.addEventListener("DOMContentLoaded", function () {
    boxes().forEach(function (box) { if (box.checked) selected.add(box.value); });  // kept by the browser on back
    showSelection();
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
