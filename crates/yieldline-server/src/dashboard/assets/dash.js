// Yieldline dashboard: the day under the pointer on control charts, and a progress bar
// while an import uploads. Nothing else; every page works without it.
"use strict";
document.querySelectorAll("figure.spc-fig").forEach(function (fig) {
  var data = fig.nextElementSibling;
  var svg = fig.querySelector("svg");
  var tip = fig.querySelector(".tip");
  if (!data || !svg || !tip) return;
  var points = JSON.parse(data.textContent);
  var left = Number(fig.dataset.left), width = Number(fig.dataset.width);
  svg.addEventListener("mousemove", function (ev) {
    var box = svg.getBoundingClientRect();
    var x = (ev.clientX - box.left) * (960 / box.width);
    var i = Math.floor((x - left) / (width / points.length));
    if (i < 0 || i >= points.length) { tip.hidden = true; return; }
    var p = points[i];
    tip.textContent = p[0] + ": " + p[2] + " passed of " + p[1] + " (" + p[3] + ")" + (p[5] ? " · signal" : "");
    tip.style.left = Math.min(ev.clientX - box.left + 12, box.width - 220) + "px";
    tip.style.top = (ev.clientY - box.top + 12) + "px";
    tip.hidden = false;
  });
  svg.addEventListener("mouseleave", function () { tip.hidden = true; });
});
document.querySelectorAll("form.upload").forEach(function (form) {
  form.addEventListener("submit", function () {
    var bar = form.querySelector("progress");
    if (bar) bar.hidden = false;
  });
});
