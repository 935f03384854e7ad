// hpo_core dashboard: the charts of one study. Loaded before app.js, whose `state`, `fmt`,
// `objective`, `complete`, `trials` and `mark` it uses when a chart is drawn.
//
// Large studies are thinned before they are drawn (the table and the export keep every
// trial), and each chart says how many trials it shows: SVG draws a thousand points in a
// fraction of a second, while a WebGL chart costs a WebGL context, which takes seconds where
// Chromium renders WebGL in software (no GPU).
"use strict";

const $ = (id) => document.getElementById(id);
const CONFIG = { responsive: true, displaylogo: false };
const POINTS = 500;    // markers of the history and slice plots at most
const MARKS_ON_GRID = 250;  // trials drawn over the contour's grid at most
const LINES_SVG = 500; // parallel-coordinates lines drawn as SVG at most
const LINES_GL = 2000; // ... as WebGL (parcoords) at most
const BEST_LINES = 50; // the best trials always among the parallel-coordinates lines
const CURVES = 300;    // learning curves drawn (the latest trials that reported)
const VIRIDIS = ["#440154", "#472c7a", "#3b518b", "#2c718e", "#21908d", "#27ad81", "#5cc863",
  "#aadc32", "#fde725"];

// ------------------------------------------------------------------ thinning
// a pseudo-random number in [0, 1) fixed for each trial number, so the trials a chart shows
// stay the same as others arrive (a fresh sample at each redraw would make the points jump)
function unit(number) {
  let h = Math.imul(number ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

// at most `most` of `rows` (each has a `number`), in their order: every row of `always`
// (trial numbers) and, in the room left, a sample that depends only on the trial numbers
function thin(rows, most, always) {
  if (rows.length <= most) return rows;
  const keep = new Set();
  for (const n of always || []) if (keep.size < most) keep.add(n);
  const others = rows.filter((r) => !keep.has(r.number))
    .sort((a, b) => unit(a.number) - unit(b.number));
  for (const r of others.slice(0, most - keep.size)) keep.add(r.number);
  return rows.filter((r) => keep.has(r.number));
}

// the trials that set a new best (the only points where the best-so-far line changes); in a
// constrained study only feasible trials (every constraint <= 0) count, as for the best trial
function records(done, k, minimize) {
  const out = [];
  let best = null;
  for (const r of done) {
    if ((r.constraints || []).some((c) => c > 0)) continue;
    const v = r.values[k];
    if (best === null || (minimize ? v < best : v > best)) {
      best = v;
      out.push(r);
    }
  }
  return out;
}

function showing(id, shown, total, how) {
  $(id).textContent = shown < total
    ? `showing ${shown.toLocaleString("en")} of ${total.toLocaleString("en")} trials (${how})` : "";
}

// ------------------------------------------------------------------ WebGL or not
let softwareGL = null;

// true where WebGL is missing or drawn in software (SwiftShader, llvmpipe): the page then keeps
// to SVG. `?webgl=on` or `?webgl=off` in the address overrides the guess.
function webglIsSlow() {
  const asked = new URLSearchParams(location.search).get("webgl");
  if (asked === "on" || asked === "off") return asked === "off";
  if (softwareGL === null) {
    try {
      const gl = document.createElement("canvas").getContext("webgl");
      const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
      const renderer = gl ? String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL
        : gl.RENDERER)) : "";
      softwareGL = !gl || /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
      const lose = gl && gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
    } catch (err) {
      softwareGL = true;
    }
  }
  return softwareGL;
}

// ------------------------------------------------------------------ drawing
function layout(extra) {
  return Object.assign({ margin: { l: 60, r: 20, t: 30, b: 45 }, hovermode: "closest",
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" } }, extra);
}

function message(div, text) {
  return Plotly.react(div, [], layout({ xaxis: { visible: false }, yaxis: { visible: false },
    annotations: [{ text, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }] }),
  CONFIG);
}

function drawHistory() {
  const k = objective();
  const done = complete(k);
  const minimize = state.meta.directions[k] !== "maximize";
  const best = records(done, k, minimize);
  const shown = thin(done, POINTS, best.map((r) => r.number));
  showing("history-note", shown.length, done.length, "every new best and a sample");
  // the best-so-far line needs only its change points, carried on to the last trial
  const bestX = best.map((r) => r.number);
  const bestY = best.map((r) => r.values[k]);
  if (done.length && bestX[bestX.length - 1] !== done[done.length - 1].number) {
    bestX.push(done[done.length - 1].number);
    bestY.push(bestY[bestY.length - 1]);
  }
  return Plotly.react("history", [
    { x: shown.map((r) => r.number), y: shown.map((r) => r.values[k]), mode: "markers",
      type: "scatter", name: "value", marker: { size: 5, color: "#4c78a8" } },
    { x: bestX, y: bestY, mode: "lines", type: "scatter", name: "best so far",
      line: { shape: "hv", color: "#e45756" } },
  ], layout({ xaxis: { title: { text: "trial" } }, yaxis: { title: { text: "value" } } }),
  CONFIG);
}

function paramAxis(p, rows) {
  if (p.choices) {
    return { label: p.name, tickvals: p.choices.map((_, i) => i), ticktext: p.choices.map(fmt),
      values: rows.map((r) => {
        const i = p.choices.findIndex((c) => fmt(c) === fmt(r.params[p.name]));
        return i < 0 ? null : i;
      }) };
  }
  const values = rows.map((r) => (r.params[p.name] === undefined ? null : r.params[p.name]));
  if (!p.log) return { label: p.name, values };
  return { label: `log10(${p.name})`, values: values.map((v) => (v > 0 ? Math.log10(v) : null)) };
}

// the best trials first: those the parallel coordinates always show
function bestFirst(done, k) {
  const sign = state.meta.directions[k] === "maximize" ? -1 : 1;
  return [...done].sort((a, b) => sign * (a.values[k] - b.values[k]));
}

function drawParallel() {
  const k = objective();
  const done = complete(k);
  const svg = webglIsSlow();
  const best = bestFirst(done, k).slice(0, BEST_LINES).map((r) => r.number);
  const rows = thin(done, svg ? LINES_SVG : LINES_GL, best);
  showing("parallel-note", rows.length, done.length, `the best ${BEST_LINES} and a sample`);
  const dims = state.meta.params.map((p) => paramAxis(p, rows));
  const y = rows.map((r) => r.values[k]);
  dims.push({ label: "value", values: y });
  const reverse = state.meta.directions[k] !== "maximize";
  if (svg) return drawParallelSVG(rows, dims, y, reverse);
  return Plotly.react("parallel", [{
    type: "parcoords", dimensions: dims,
    line: { color: y, colorscale: "Viridis", reversescale: reverse,
      showscale: true, colorbar: { title: { text: "value" } } },
  }], layout({ margin: { l: 50, r: 40, t: 40, b: 20 } }), CONFIG);
}

// parallel coordinates as SVG lines: each axis scaled to [0, 1], the lines grouped by colour
// (one trace a colour, the trials apart by a gap), the best drawn last, on top
function drawParallelSVG(rows, dims, y, reverse) {
  const span = (vs) => {
    const ok = vs.filter((v) => v !== null && Number.isFinite(v));
    return ok.length ? [Math.min(...ok), Math.max(...ok)] : [0, 1];
  };
  const ranges = dims.map((d) => (d.tickvals ? [0, Math.max(1, d.tickvals.length - 1)]
    : span(d.values)));
  const scaled = (i, v) => (v === null ? null : (v - ranges[i][0]) / (ranges[i][1] - ranges[i][0] || 1));
  const [lo, hi] = ranges[ranges.length - 1];
  const shade = (v) => {
    const t = (v - lo) / (hi - lo || 1);
    return Math.min(VIRIDIS.length - 1, Math.floor((reverse ? 1 - t : t) * VIRIDIS.length));
  };
  const groups = VIRIDIS.map(() => ({ x: [], y: [], text: [] }));
  rows.forEach((r, j) => {
    const g = groups[shade(y[j])];
    dims.forEach((d, i) => {
      g.x.push(i);
      g.y.push(scaled(i, d.values[j]));
      g.text.push(`trial ${r.number}: ${d.label} ${fmt(d.values[j])}`);
    });
    g.x.push(null);
    g.y.push(null);
    g.text.push("");
  });
  const traces = groups.map((g, c) => ({ type: "scatter", mode: "lines", x: g.x, y: g.y,
    text: g.text, hoverinfo: "text", showlegend: false, line: { width: 1, color: VIRIDIS[c] },
    opacity: 0.7 }));
  traces.push({ type: "scatter", mode: "markers", x: [0, 0], y: [0, 0], hoverinfo: "skip",
    showlegend: false, marker: { opacity: 0, color: [lo, hi], colorscale: "Viridis",
      reversescale: reverse, showscale: true, colorbar: { title: { text: "value" } } } });
  const notes = [];
  dims.forEach((d, i) => {
    notes.push({ x: i, y: 1.04, text: `<b>${d.label}</b>`, yanchor: "bottom" });
    const ticks = d.tickvals ? d.tickvals.map((t, j) => [t, d.ticktext[j]])
      : [[ranges[i][0], fmt(ranges[i][0])], [ranges[i][1], fmt(ranges[i][1])]];
    for (const [t, text] of ticks) {
      notes.push({ x: i, y: scaled(i, t), text, xanchor: "right", xshift: -3, font: { size: 10 } });
    }
  });
  const shapes = dims.map((_, i) => ({ type: "line", x0: i, x1: i, y0: 0, y1: 1,
    line: { color: "#444", width: 1 } }));
  return Plotly.react("parallel", traces, layout({
    margin: { l: 50, r: 20, t: 30, b: 10 }, hovermode: "closest",
    xaxis: { visible: false, range: [-0.45, dims.length - 0.7] },
    yaxis: { visible: false, range: [-0.05, 1.12] }, shapes,
    annotations: notes.map((a) => Object.assign({ showarrow: false, xref: "x", yref: "y" }, a)),
  }), CONFIG);
}

function drawSlice() {
  const k = objective();
  const done = complete(k);
  const p = state.meta.params[Number($("slice-param").value || 0)];
  if (!p) return null;
  const best = bestFirst(done, k).slice(0, BEST_LINES).map((r) => r.number);
  const shown = thin(done, POINTS, best);
  showing("slice-note", shown.length, done.length, `the best ${BEST_LINES} and a sample`);
  const axis = paramAxis(p, shown);
  return Plotly.react("slice", [{
    x: axis.values, y: shown.map((r) => r.values[k]), mode: "markers", type: "scatter",
    marker: { size: 6, color: shown.map((r) => r.number), colorscale: "Blues",
      showscale: true, colorbar: { title: { text: "trial" } } },
  }], layout({ xaxis: { title: { text: axis.label }, tickvals: axis.tickvals,
    ticktext: axis.ticktext }, yaxis: { title: { text: "value" } } }), CONFIG);
}

function drawContour() {
  const k = objective();
  const done = complete(k);
  const px = state.meta.params[Number($("contour-x").value || 0)];
  const py = state.meta.params[Number($("contour-y").value || 0)];
  if (!px || !py || px === py) return message("contour", "pick two parameters");
  const ax = paramAxis(px, done);
  const ay = paramAxis(py, done);
  const z = done.map((r) => r.values[k]);
  // the mean value in each cell of a 24 x 24 grid, over every trial
  const bins = 24;
  const range = (vs) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of vs) {
      if (v === null) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return [lo, hi];
  };
  const [x0, x1] = range(ax.values);
  const [y0, y1] = range(ay.values);
  const sum = Array.from({ length: bins }, () => new Array(bins).fill(0));
  const count = Array.from({ length: bins }, () => new Array(bins).fill(0));
  const at = (v, lo, hi) => Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo || 1)) * bins));
  done.forEach((_, i) => {
    if (ax.values[i] === null || ay.values[i] === null) return;
    const a = at(ay.values[i], y0, y1);
    const b = at(ax.values[i], x0, x1);
    sum[a][b] += z[i];
    count[a][b] += 1;
  });
  const grid = sum.map((row, a) => row.map((s, b) => (count[a][b] ? s / count[a][b] : null)));
  const centers = (lo, hi) => Array.from({ length: bins }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / bins);
  const index = new Map(done.map((r, i) => [r.number, i]));
  const shown = thin(done, MARKS_ON_GRID).map((r) => index.get(r.number));
  showing("contour-note", shown.length, done.length,
    "as points; the grid is the mean of every trial");
  return Plotly.react("contour", [
    { type: "contour", x: centers(x0, x1), y: centers(y0, y1), z: grid, connectgaps: true,
      colorscale: "Viridis", reversescale: state.meta.directions[k] !== "maximize",
      colorbar: { title: { text: "value" } } },
    { type: "scatter", mode: "markers", x: shown.map((i) => ax.values[i]),
      y: shown.map((i) => ay.values[i]), name: "trials", showlegend: false,
      marker: { size: 4, color: "#fff", line: { width: 1, color: "#333" } } },
  ], layout({ xaxis: { title: { text: ax.label } }, yaxis: { title: { text: ay.label } } }),
  CONFIG);
}

function drawCurves() {
  const all = trials().filter((r) => r.intermediate.length);
  const reported = all.slice(-CURVES);
  showing("curves-note", reported.length, all.length, "the latest that reported");
  // one trace for each kind, the trials' curves apart by a gap (a trace each is too slow)
  const curves = (rows, name, color) => {
    const x = [];
    const y = [];
    for (const r of rows) {
      for (const [step, value] of r.intermediate) {
        x.push(step);
        y.push(value);
      }
      x.push(null);
      y.push(null);
    }
    return { x, y, name: `${name} (${rows.length})`, mode: "lines", type: "scatter",
      line: { width: 1, color }, opacity: 0.6 };
  };
  const pruned = reported.filter((r) => r.state === "pruned");
  const stops = pruned.map((r) => r.intermediate[r.intermediate.length - 1]);
  return Plotly.react("curves", [
    curves(reported.filter((r) => r.state !== "pruned"), "not pruned", "#4c78a8"),
    curves(pruned, "pruned", "#e45756"),
    { x: stops.map((p) => p[0]), y: stops.map((p) => p[1]), mode: "markers", type: "scatter",
      name: "pruned here", marker: { symbol: "x", size: 7, color: "#e45756" },
      text: pruned.map((r) => `trial ${r.number}`) },
  ], layout({ xaxis: { title: { text: "step" } },
    yaxis: { title: { text: "intermediate value" } } }), CONFIG);
}

function drawImportance(imp) {
  if (imp.error) return message("importance", imp.error);
  const order = imp.importance.map((_, i) => i).sort((a, b) => imp.importance[a] - imp.importance[b]);
  const of = state.meta.directions.length > 1 ? ` for objective ${imp.objective}` : "";
  return Plotly.react("importance", [{ type: "bar", orientation: "h",
    x: order.map((i) => imp.importance[i]), y: order.map((i) => imp.params[i]) }],
  layout({ margin: { l: 110, r: 20, t: 30, b: 45 },
    xaxis: { title: { text: `relative importance${of} (${imp.method})` } } }), CONFIG);
}

function drawPareto(body) {
  const m = state.meta.directions.length;
  const front = new Set(body.front);
  const done = trials().filter((r) => r.state === "complete" && r.values
    && !r.values.includes(null));
  const on = done.filter((r) => front.has(r.number)).sort((a, b) => a.values[0] - b.values[0]);
  const dominated = done.filter((r) => !front.has(r.number));
  const off = thin(dominated, POINTS);
  showing("pareto-note", on.length + off.length, done.length,
    "the whole front and a sample of the dominated");
  const axis = (i) => ({ title: { text: `objective ${i} (${state.meta.directions[i]})` } });
  const pts = (rows, name, color, dims) => Object.assign({
    name, mode: "markers", type: dims === 3 ? "scatter3d" : "scatter",
    x: rows.map((r) => r.values[0]), y: rows.map((r) => r.values[1]),
    text: rows.map((r) => `trial ${r.number}`),
    marker: { size: dims === 3 ? 3 : 6, color },
  }, dims === 3 ? { z: rows.map((r) => r.values[2]) } : {});
  const drawn = [Plotly.react("pareto", [pts(off, "dominated", "#bbb", 2),
    pts(on, "Pareto front", "#e45756", 2)], layout({ xaxis: axis(0), yaxis: axis(1) }), CONFIG)];
  $("pareto3d").hidden = m < 3;
  if (m >= 3) {
    drawn.push(Plotly.react("pareto3d", [pts(off, "dominated", "#bbb", 3),
      pts(on, "Pareto front", "#e45756", 3)], layout({ scene: {
      xaxis: axis(0), yaxis: axis(1), zaxis: axis(2) } }), CONFIG));
  }
  drawn.push(Plotly.react("hypervolume", [{ x: body.hypervolume.map((p) => p[0]),
    y: body.hypervolume.map((p) => p[1]), mode: "lines", type: "scatter", name: "hypervolume" }],
  layout({ xaxis: { title: { text: "trial" } }, yaxis: { title: { text: "hypervolume" } } }),
  CONFIG));
  return Promise.all(drawn);
}

// the charts drawn from the trials, by the id of their element
const CHARTS = { history: drawHistory, parallel: drawParallel, slice: drawSlice,
  contour: drawContour, curves: drawCurves };

// for the browser tests: the thinning, callable from the page
window.hpoCharts = { thin, unit, records, webglIsSlow };
