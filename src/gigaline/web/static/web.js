// gigaline dashboard: draws the charts a page carries as JSON and keeps floor pages live.
// No inline scripts (the Content-Security-Policy allows scripts from this server only).
"use strict";
(function () {
  const config = { responsive: true, displaylogo: false };

  // A binned state timeline (a heatmap of state indexes, the share of the bin in customdata)
  // carries the states' names and the bin width once, in its meta: each cell's hover text
  // ("running 83 % of 06:02:00-06:03:00") is written here rather than sent per cell.
  function hhmmss(ms) { return new Date(ms).toISOString().slice(11, 19); }

  function named(fig) {
    (fig.data || []).forEach(function (t) {
      const m = t.meta;
      if (t.type === "heatmap" && m && m.states && Array.isArray(t.z) && !t.text) {
        const half = m.bin_s * 500;
        const span = t.x.map(function (x) {
          const c = Date.parse(x);
          return hhmmss(c - half) + "-" + hhmmss(c + half);
        });
        t.text = t.z.map(function (row, r) {
          return row.map(function (i, c) {
            return i === null ? "nothing known" :
              m.states[i] + " " + t.customdata[r][c] + " % of " + span[c];
          });
        });
      }
    });
    return fig;
  }

  // Plotly's automargin draws a chart again when its first draw finds the tick labels wider
  // than the margin (plots.doAutoMargin: the timeline's 60 station names, ~60 ms a draw). So
  // the widest category label of a left y axis is measured first, on a canvas (text metrics,
  // no layout), and the left margin made what automargin would make it: the first draw is
  // then the only one. The timeline's y axis has automargin off (charts.timeline_figure: with
  // it, or a title standoff, Plotly reads each name's box, a forced layout each): this measure
  // is its only margin, so LABEL_PAD_PX keeps automargin's pad.
  const LABEL_PAD_PX = 13; // automargin's pad (12) and the labels' 1 px off the axis line
  let ruler = null;

  function labelMargin(fig) {
    const layout = fig.layout || {};
    const y = layout.yaxis || {};
    if (y.type !== "category" || y.side === "right" || (y.title && y.title.text)) { return; }
    const font = layout.font || {};
    ruler = ruler || document.createElement("canvas").getContext("2d");
    ruler.font = (font.size || 12) + "px " + (font.family || '"Open Sans", verdana, arial, sans-serif');
    const seen = new Set();
    let widest = 0;
    (fig.data || []).forEach(function (t) {
      (t.y || []).forEach(function (label) {
        if (label !== null && !seen.has(label)) {
          seen.add(label);
          widest = Math.max(widest, ruler.measureText(String(label)).width);
        }
      });
    });
    const margin = Object.assign({}, layout.margin);
    margin.l = Math.max(margin.l || 0, Math.round(widest + LABEL_PAD_PX));
    layout.margin = margin;
  }

  // The same for the labels of a bottom x axis drawn at a set angle (the Pareto's causes, at
  // 30 degrees): the bottom margin made what automargin makes of the widest label turned,
  // so that the chart is drawn once (automargin drew the Pareto twice).
  const TURNED_PAD_PX = 14; // the labels' distance from the axis and automargin's pad
  const LINE_EM = 1.3; // a label's height, in font sizes (its text box, not its letters)

  function turnedMargin(fig) {
    const layout = fig.layout || {};
    const x = layout.xaxis || {};
    if (typeof x.tickangle !== "number" || x.side === "top" || (x.title && x.title.text)) { return; }
    const font = layout.font || {};
    const size = font.size || 12;
    ruler = ruler || document.createElement("canvas").getContext("2d");
    ruler.font = size + "px " + (font.family || '"Open Sans", verdana, arial, sans-serif');
    let widest = 0;
    (fig.data || []).forEach(function (t) {
      if (t.xaxis && t.xaxis !== "x") { return; }
      (t.x || []).forEach(function (label) {
        if (label !== null) { widest = Math.max(widest, ruler.measureText(String(label)).width); }
      });
    });
    const a = Math.abs(x.tickangle) * Math.PI / 180;
    const margin = Object.assign({}, layout.margin);
    margin.b = Math.max(margin.b || 0, Math.ceil(widest * Math.sin(a) + LINE_EM * size * Math.cos(a) + TURNED_PAD_PX));
    layout.margin = margin;
  }

  function draw(id, fig) {
    const div = document.getElementById(id);
    if (fig && div && window.Plotly) {
      const t0 = performance.now();
      named(fig);
      labelMargin(fig);
      turnedMargin(fig);
      window.Plotly.react(div, fig.data || [], fig.layout || {}, config);
      performance.measure("draw " + id, { start: t0 });  // benchmarks/trace_pages.py
    }
  }

  function drawAll(root) {
    root.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (el) {
      draw(el.dataset.chart, JSON.parse(el.textContent));
    });
  }

  function live(el) {
    const source = new EventSource(el.dataset.live);
    // a message of the view the page already shows (the same computation: its event id)
    // is not drawn again; the page's own view id is in data-view
    function shown(e) {
      const same = e.lastEventId !== "" && e.lastEventId === el.dataset.view;
      if (same && e.type === "charts") { el.dataset.same = String(Number(el.dataset.same || "0") + 1); }
      return same;
    }
    source.addEventListener("tiles", function (e) {
      if (shown(e)) { return; }
      el.innerHTML = e.data;
      el.dataset.updates = String(Number(el.dataset.updates || "0") + 1);
    });
    source.addEventListener("charts", function (e) {
      if (shown(e)) { return; }
      el.dataset.view = e.lastEventId;
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
