// rebond dashboard: progressive enhancements only; every page works
// without this script.
"use strict";

// Chart tooltips that also work on touch screens. The
// server puts each point's explanation in an SVG <title> (a native
// tooltip on hover); this moves it into a data attribute and shows it in
// a floating box on hover or tap.
(function () {
  var tip = null;
  function show(el, x, y) {
    if (!tip) {
      tip = document.createElement("div");
      tip.className = "chart-tip";
      tip.setAttribute("role", "tooltip");
      document.body.appendChild(tip);
    }
    tip.textContent = el.getAttribute("data-tip");
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(4, Math.min(x + 12, window.innerWidth - w - 4)) + "px";
    tip.style.top = Math.max(4, y - h - 12) + "px";
  }
  function hide() { if (tip) tip.hidden = true; }
  document.querySelectorAll("svg.chart circle > title, svg.chart rect > title").forEach(function (t) {
    var el = t.parentNode;
    el.setAttribute("data-tip", t.textContent);
    t.remove();
  });
  document.addEventListener("pointerover", function (e) {
    var el = e.target.closest && e.target.closest("[data-tip]");
    if (el) show(el, e.clientX, e.clientY); else hide();
  });
  document.addEventListener("pointerdown", function (e) {
    var el = e.target.closest && e.target.closest("[data-tip]");
    if (el) show(el, e.clientX, e.clientY); else hide();
  });
  window.addEventListener("scroll", hide, { passive: true });
})();

// The custom range: the end date cannot be before the start date.
(function () {
  document.querySelectorAll("form.custom-range").forEach(function (f) {
    var from = f.querySelector('input[name="from"]'), to = f.querySelector('input[name="to"]');
    if (!from || !to) return;
    function sync() { to.min = from.value; from.max = to.value; }
    from.addEventListener("change", sync);
    to.addEventListener("change", sync);
    sync();
  });
})();

// On a narrow screen the navigation scrolls sideways: keep the current
// page's tab in view.
(function () {
  var cur = document.querySelector('nav a[aria-current="page"]');
  if (cur && cur.parentNode.scrollWidth > cur.parentNode.clientWidth) {
    cur.parentNode.scrollLeft = cur.offsetLeft - 12;
  }
})();
