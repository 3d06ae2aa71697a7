// The log page: Ctrl+Enter saves an entry; the timeline keeps one of each entry (the answer to
// one's own form and the live feed both bring it, in either order). A save that fails says so
// in the form (htmx 2 swaps no error answer); a save met by an ended session keeps the draft
// in sessionStorage, and the page restores it after the sign-in brings the person back.
(function () {
  "use strict";
  var DRAFT = "logbog-kladde:" + location.pathname;
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && el.hasAttribute &&
        el.hasAttribute("data-submit-on-ctrl-enter")) {
      ev.preventDefault();
      el.form.requestSubmit();
    }
  });
  function onePerId() {
    // the copy already shown stays where it is: a late copy (the live feed after the form's
    // answer, or the other way round) is put at the top, which may be above newer entries
    var copies = {};
    document.querySelectorAll("#tidslinje [id]").forEach(function (el) {
      (copies[el.id] = copies[el.id] || []).push(el);
    });
    Object.keys(copies).forEach(function (id) {
      var all = copies[id];
      var keep = all.filter(function (el) { return el.hasAttribute("data-shown"); })[0] || all[0];
      all.forEach(function (el) {
        if (el !== keep) { el.remove(); }
      });
      keep.setAttribute("data-shown", "");
    });
    var empty = document.getElementById("tom");
    if (empty && document.querySelector("#tidslinje > li")) { empty.remove(); }
  }
  document.addEventListener("htmx:afterSettle", onePerId);
  document.addEventListener("htmx:oobAfterSwap", onePerId);
  document.addEventListener("htmx:sseMessage", onePerId);

  function logForm(ev) {
    var form = ev.detail && ev.detail.elt;
    return form && form.id === "skriv" ? form : null;
  }
  function alertIn(form, message) {
    var box = form.querySelector("[data-save-failed]");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert";
      box.setAttribute("role", "alert");
      box.setAttribute("data-save-failed", "");
      form.insertBefore(box, form.querySelector(".log-fields"));
    }
    box.textContent = message;
  }
  document.addEventListener("htmx:responseError", function (ev) {
    var form = logForm(ev);
    if (!form) { return; }
    var status = ev.detail.xhr.status;
    alertIn(form, status === 403
      ? "Indlægget er ikke gemt: du har ikke adgang til at skrive i denne logbog. Din tekst står her stadig."
      : "Indlægget er ikke gemt: serveren svarede med en fejl (" + status + "). Din tekst står her stadig; prøv igen.");
  });
  document.addEventListener("htmx:sendError", function (ev) {
    var form = logForm(ev);
    if (form) {
      alertIn(form, "Indlægget er ikke gemt: der er ingen forbindelse til serveren. Din tekst står her stadig; prøv igen.");
    }
  });
  document.addEventListener("htmx:beforeOnLoad", function (ev) {
    var form = logForm(ev);
    var to = ev.detail.xhr && ev.detail.xhr.getResponseHeader("HX-Redirect");
    if (form && to && to.indexOf("/login") === 0) {  // the session has ended: keep the draft
      try {
        sessionStorage.setItem(DRAFT, JSON.stringify({
          kind: form.elements.kind.value, text: form.elements.text.value
        }));
      } catch (e) { /* storage full or off: the sign-in goes on */ }
    }
  });
  function restore() {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(DRAFT) || "null"); } catch (e) { saved = null; }
    var form = document.getElementById("skriv");
    if (!saved || !form) { return; }
    sessionStorage.removeItem(DRAFT);
    if (form.elements.text.value) { return; }
    form.elements.text.value = saved.text || "";
    if (saved.kind) { form.elements.kind.value = saved.kind; }
    alertIn(form, "Din session var udløbet. Teksten, du skrev, er sat ind igen: gem den nu.");
    form.elements.text.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restore);
  } else {
    restore();
  }
})();
