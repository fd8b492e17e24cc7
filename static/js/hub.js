// Partner Hub's only script of its own: announce htmx-loaded content to screen readers.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var live = document.getElementById("live-region");
    if (!target || !live) return;
    var label = target.getAttribute("data-announce");
    // Widgets announce their first load only, not every refresh.
    if (label && target.getAttribute("aria-busy") !== "false") live.textContent = label;
  });
})();

// Homepage widgets and layout editor (templates/home.html).
(function () {
  "use strict";
  function announce(text) {
    var live = document.getElementById("live-region");
    if (live && text) live.textContent = text;
  }
  // A widget's first load: no longer busy, and say so once (refreshes stay quiet).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    if (target.classList.contains("widget")) target.setAttribute("aria-busy", "false");
  });
  // "Done" closes the customise panel (a script's button: hidden without one).
  function showCloseButtons(root) {
    root.querySelectorAll("[data-close-details]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { showCloseButtons(document); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-details]");
    var details = button && button.closest("details");
    if (!details) return;
    details.open = false;
    var summary = details.querySelector("summary");
    if (summary) summary.focus();
  });
  // After a layout change, put focus back where the keyboard user was and say what changed.
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = document.getElementById("layout");
    var target = event.detail && event.detail.target;
    // An outerHTML swap reports the element it replaced: match it by id.
    if (!root || !target || target.id !== "layout") return;
    var said = root.querySelector("[data-announce-now]");
    if (said) announce(said.textContent);
    var focus = root.querySelector("[data-autofocus]");
    if (focus) focus.focus();
    showCloseButtons(root);
    // A widget just added lands at the end of the page: bring it into view.
    var added = root.querySelector("[data-just-added]");
    if (added) added.scrollIntoView({ behavior: "smooth", block: "nearest" });
  });
  // A widget or layout request refused (4xx/5xx): show the message instead of spinning.
  document.addEventListener("htmx:responseError", function (event) {
    var detail = event.detail || {};
    var target = detail.target;
    var xhr = detail.xhr;
    if (!target || !xhr) return;
    if (target.classList && target.classList.contains("widget")) {
      var notice = document.createElement("p");
      notice.className = "widget-notice widget-notice-bad";
      notice.textContent = target.getAttribute("data-error-text") || "";
      var skeleton = target.querySelector(".skeleton");
      if (skeleton) skeleton.replaceWith(notice);
      target.setAttribute("aria-busy", "false");
      return;
    }
    if (target.id === "layout") {
      var status = document.getElementById("layout-status");
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (status) status.textContent = type.indexOf("text/plain") === 0 ? xhr.responseText : "";
    }
  });
})();

// Engagement widget forms (data-swap-errors): a refusal (4xx) comes back as the widget
// re-rendered with its message, so swap it in like a success instead of dropping it.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail || {};
    var xhr = detail.xhr;
    // The element that made the request (the form), not the swap target.
    var elt = detail.requestConfig && detail.requestConfig.elt;
    if (!xhr || !elt || !elt.closest || !elt.closest("[data-swap-errors]")) return;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Widget")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
  // Points may have moved (HX-Trigger from those forms): reload the widgets that show them,
  // now for what the action paid itself and again once the worker has evaluated its event.
  function reloadPoints() {
    ["points_badges", "leaderboard"].forEach(function (name) {
      var section = document.getElementById("widget-" + name);
      if (section && window.htmx) {
        window.htmx.ajax("GET", "/widgets/" + name, { target: section, swap: "innerHTML" });
      }
    });
  }
  document.addEventListener("hub-points-changed", function () {
    reloadPoints();
    window.setTimeout(reloadPoints, 2000);
  });
})();

// A SAML response goes on to the portal at once (templates/saml_post.html); the button stays
// for a browser without scripts.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-auto-submit]");
    if (form) form.submit();
  });
})();
