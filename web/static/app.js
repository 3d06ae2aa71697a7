// DDH Beredskab console: the little the pages need beyond htmx.
// Countdowns: <time data-countdown="ISO-8601"> shows minutes and seconds left, ticking each second.
(function () {
  "use strict";
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-countdown")) - now) / 1000);
      if (isNaN(left)) { return; }
      if (left <= 0) { el.textContent = "nu"; return; }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (h > 0 ? h + " t " + two(m) + " min" : m + " min " + two(s) + " s");
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
})();
