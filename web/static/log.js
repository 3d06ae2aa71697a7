// The log page: Ctrl+Enter saves an entry; the timeline keeps one of each entry (the answer to
// one's own form and the live feed both bring it, in either order).
(function () {
  "use strict";
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && el.hasAttribute &&
        el.hasAttribute("data-submit-on-ctrl-enter")) {
      ev.preventDefault();
      el.form.requestSubmit();
    }
  });
  function onePerId() {
    var seen = {};
    document.querySelectorAll("#tidslinje [id]").forEach(function (el) {
      if (seen[el.id]) { el.remove(); } else { seen[el.id] = true; }
    });
    var empty = document.getElementById("tom");
    if (empty && document.querySelector("#tidslinje > li")) { empty.remove(); }
  }
  document.addEventListener("htmx:afterSettle", onePerId);
  document.addEventListener("htmx:oobAfterSwap", onePerId);
  document.addEventListener("htmx:sseMessage", onePerId);
})();
