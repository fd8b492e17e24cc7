// Partner Hub's only script of its own: announce htmx-loaded content to screen readers.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var live = document.getElementById("live-region");
    if (!target || !live) return;
    var label = target.getAttribute("data-announce");
    if (label) live.textContent = label;
  });
})();
