// gigaline dashboard: draws the charts a page carries as JSON and keeps floor pages live.
// No inline scripts (the Content-Security-Policy allows scripts from this server only).
"use strict";
(function () {
  const config = { responsive: true, displaylogo: false };

  function draw(id, fig) {
    const div = document.getElementById(id);
    if (fig && div && window.Plotly) {
      window.Plotly.react(div, fig.data || [], fig.layout || {}, config);
    }
  }

  function drawAll(root) {
    root.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (el) {
      draw(el.dataset.chart, JSON.parse(el.textContent));
    });
  }

  function live(el) {
    const source = new EventSource(el.dataset.live);
    source.addEventListener("tiles", function (e) {
      el.innerHTML = e.data;
      el.dataset.updates = String(Number(el.dataset.updates || "0") + 1);
    });
    source.addEventListener("charts", function (e) {
      const charts = JSON.parse(e.data);
      Object.keys(charts).forEach(function (name) { draw("chart-" + name, charts[name]); });
    });
    source.addEventListener("logout", function () {
      source.close();
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
    document.querySelectorAll("[data-live]").forEach(live);
  });
})();
