// hpo_core dashboard: polls the server for the trials changed since the sequence number it
// has and redraws. The page only reads: every request is a GET.
"use strict";

const POLL_MS = 1000;        // how often to ask for new trials
const DRAW_MS = 2000;        // charts are redrawn at most this often (the table at once)
const ANALYSIS_MS = 5000;    // importance and the Pareto front at most this often
const TABLE_ROWS = 300;      // rows of the trials table drawn at once
const CURVES = 1000;         // learning curves drawn (the latest trials that reported)
const LINES = 1000;          // parallel-coordinates lines at most (evenly spaced trials)
const CONFIG = { responsive: true, displaylogo: false };
// WebGL scatter plots only for many points: each costs a WebGL context, which is slow to make
// where there is no GPU, and SVG draws a few thousand points as fast
const scatter = (n) => (n > 2000 ? "scattergl" : "scatter");

const $ = (id) => document.getElementById(id);
const plotlyReady = new Promise((resolve, reject) => {
  if (window.Plotly) resolve();
  $("plotly-js").addEventListener("load", resolve);
  $("plotly-js").addEventListener("error", () => reject(new Error("plotly.min.js did not load")));
});
const state = {
  study: null, meta: null, seq: 0, rows: new Map(), sort: { key: "number", desc: false },
  drawnAt: 0, dirty: false, analysisAt: 0, analysisDone: -1, timer: null, generation: 0,
};

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// ------------------------------------------------------------------ routing
function route() {
  const match = location.hash.match(/^#study=(.*)$/);
  state.generation += 1;
  clearTimeout(state.timer);
  showError("");
  if (match) openStudy(decodeURIComponent(match[1]));
  else openList();
}

// ------------------------------------------------------------------ the list of studies
async function openList() {
  state.study = null;
  $("study-view").hidden = true;
  $("studies-view").hidden = false;
  $("crumb").textContent = "";
  const generation = state.generation;
  const poll = async () => {
    if (generation !== state.generation) return;
    try {
      drawList(await getJSON("api/studies"));
      showError("");
    } catch (err) {
      showError(`cannot read the studies: ${err.message}`);
    }
    state.timer = setTimeout(poll, POLL_MS * 2);
  };
  poll();
}

function drawList(studies) {
  const body = $("study-list").tBodies[0];
  body.replaceChildren(...studies.map((s) => {
    const tr = document.createElement("tr");
    const best = s.best ? `${fmt(s.best.value)} (trial ${s.best.number})` : "";
    const cells = [s.directions.join(", "), s.n_trials, s.states.complete, s.states.pending,
      s.states.pruned, s.states.failed, best];
    const link = document.createElement("a");
    link.href = "#study=" + encodeURIComponent(s.name);
    link.textContent = s.name;
    const first = document.createElement("td");
    first.append(link);
    tr.append(first, ...cells.map((c) => cell(c)));
    return tr;
  }));
  $("status").textContent = `${studies.length} studies, updated ${new Date().toLocaleTimeString()}`;
}

function cell(value) {
  const td = document.createElement("td");
  td.textContent = fmt(value);
  return td;
}

// ------------------------------------------------------------------ one study
// for measuring: when the study's page was opened, had its description, its trials, its table
// and its charts (ms since the page loaded), and the last trials that arrived (epoch ms)
window.hpoTiming = {};
window.hpoArrived = { at: 0, numbers: [] };

async function openStudy(name) {
  const generation = state.generation;
  window.hpoTiming = { opened: performance.now() };
  Object.assign(state, { study: name, seq: 0, rows: new Map(), drawnAt: 0, analysisAt: 0,
    analysisDone: -1 });
  $("studies-view").hidden = true;
  $("study-view").hidden = false;
  $("crumb").textContent = "› " + name;
  $("study-title").textContent = name;
  $("filter").value = "";
  $("state-filter").value = "";
  state.sort = { key: "number", desc: false };
  try {
    state.meta = await getJSON("api/study?study=" + encodeURIComponent(name));
  } catch (err) {
    showError(err.message);
    return;
  }
  window.hpoTiming.meta = performance.now();
  setupControls(state.meta);
  const poll = async () => {
    if (generation !== state.generation) return;
    try {
      await update(name);
      showError("");
    } catch (err) {
      showError(`cannot read the trials: ${err.message}`);
    }
    if (generation === state.generation) state.timer = setTimeout(poll, POLL_MS);
  };
  poll();
}

function options(select, names) {
  select.replaceChildren(...names.map((n, i) => {
    const o = document.createElement("option");
    o.value = String(i);
    o.textContent = n;
    return o;
  }));
}

function setupControls(meta) {
  const names = meta.params.map((p) => p.name);
  const m = meta.directions.length;
  options($("objective"), meta.directions.map((d, i) => `objective ${i} (${d})`));
  $("objective-pick").hidden = m === 1;
  $("pareto-panel").hidden = m === 1;
  options($("slice-param"), names);
  options($("contour-x"), names);
  options($("contour-y"), names);
  if (names.length > 1) $("contour-y").value = "1";
  for (const id of ["objective", "slice-param", "contour-x", "contour-y"]) {
    $(id).onchange = () => drawCharts(true);
  }
  $("filter").oninput = drawTable;
  $("state-filter").onchange = drawTable;
}

async function update(name) {
  const body = await getJSON(`api/trials?study=${encodeURIComponent(name)}&since=${state.seq}`);
  if (state.study !== name) return;
  if (!window.hpoTiming.trials) window.hpoTiming.trials = performance.now();
  if (body.reset) state.rows = new Map();
  for (const row of body.trials) state.rows.set(row.number, row);
  if (body.trials.length) {
    window.hpoArrived = { at: Date.now(), numbers: body.trials.map((r) => r.number) };
  }
  state.seq = body.seq;
  const status = $("status");
  status.dataset.seq = String(body.seq);
  status.textContent = `${state.rows.size} trials, updated ${new Date().toLocaleTimeString()}`;
  if (body.trials.length || body.reset) {
    state.dirty = true;
    drawSummary();
    drawTable();
    if (!window.hpoTiming.table) window.hpoTiming.table = performance.now();
  }
  const now = Date.now();
  if (state.dirty && now - state.drawnAt >= DRAW_MS) drawCharts(false);
  const finished = [...state.rows.values()].filter((r) => r.state !== "pending").length;
  if (finished !== state.analysisDone && now - state.analysisAt >= ANALYSIS_MS) {
    state.analysisAt = now;
    state.analysisDone = finished;
    drawAnalysis(name);
  }
}

function trials() {
  return [...state.rows.values()].sort((a, b) => a.number - b.number);
}

function objective() {
  return Number($("objective").value || 0);
}

function drawSummary() {
  const counts = { complete: 0, pending: 0, pruned: 0, failed: 0 };
  for (const r of state.rows.values()) counts[r.state] += 1;
  const dirs = state.meta.directions.join(", ");
  $("study-summary").textContent = `${state.rows.size} trials (${Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`).join(", ")}); ${dirs}`;
}

// ------------------------------------------------------------------ the trials table
function columns() {
  const meta = state.meta;
  const cols = [{ key: "number", label: "#", get: (r) => r.number },
    { key: "state", label: "state", get: (r) => r.state }];
  meta.directions.forEach((d, i) => cols.push({
    key: "v" + i, label: meta.directions.length > 1 ? `value ${i}` : "value",
    get: (r) => (r.values ? r.values[i] : null),
  }));
  cols.push({ key: "duration", label: "duration (s)", get: (r) => r.duration });
  for (const p of meta.params) {
    cols.push({ key: "p:" + p.name, label: p.name, get: (r) => r.params[p.name] });
  }
  const attrs = new Set();
  for (const r of state.rows.values()) {
    for (const k of Object.keys(r.user_attrs)) attrs.add(k);
    if (attrs.size >= 12) break;
  }
  for (const a of attrs) cols.push({ key: "a:" + a, label: a, get: (r) => r.user_attrs[a] });
  return cols;
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

function drawTable() {
  const cols = columns();
  const table = $("trials");
  const head = document.createElement("tr");
  for (const c of cols) {
    const th = document.createElement("th");
    th.textContent = c.label;
    th.dataset.key = c.key;
    if (state.sort.key === c.key) th.className = state.sort.desc ? "desc" : "asc";
    th.onclick = () => {
      state.sort = { key: c.key, desc: state.sort.key === c.key ? !state.sort.desc : false };
      drawTable();
    };
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  const text = $("filter").value.trim().toLowerCase();
  const only = $("state-filter").value;
  let rows = trials().filter((r) => !only || r.state === only);
  if (text) {
    rows = rows.filter((r) => cols.some((c) => fmt(c.get(r)).toLowerCase().includes(text)));
  }
  const col = cols.find((c) => c.key === state.sort.key) || cols[0];
  const sign = state.sort.desc ? -1 : 1;
  rows.sort((a, b) => sign * compare(col.get(a), col.get(b)) || a.number - b.number);
  const shown = rows.slice(0, TABLE_ROWS);
  table.tBodies[0].replaceChildren(...shown.map((r) => {
    const tr = document.createElement("tr");
    tr.className = r.state;
    tr.dataset.number = String(r.number);
    tr.append(...cols.map((c) => cell(c.get(r))));
    return tr;
  }));
  $("table-count").textContent = rows.length > shown.length
    ? `showing ${shown.length} of ${rows.length} matching trials`
    : `${rows.length} matching trials`;
}

// ------------------------------------------------------------------ charts
function layout(extra) {
  return Object.assign({ margin: { l: 60, r: 20, t: 30, b: 45 }, hovermode: "closest",
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" } }, extra);
}

function message(div, text) {
  Plotly.react(div, [], layout({ xaxis: { visible: false }, yaxis: { visible: false },
    annotations: [{ text, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }] }),
  CONFIG);
}

function complete(k) {
  return trials().filter((r) => r.state === "complete" && r.values && r.values[k] !== null);
}

function drawCharts(force) {
  if (!state.meta || (!force && !state.dirty)) return;
  if (!window.Plotly) {
    plotlyReady.then(() => drawCharts(true), (err) => showError(err.message));
    return;
  }
  state.dirty = false;
  state.drawnAt = Date.now();
  const k = objective();
  const done = complete(k);
  // one chart a task: the table and the first charts show while the others are drawn
  const steps = [["history", () => drawHistory(done, k)], ["slice", () => drawSlice(done, k)],
    ["contour", () => drawContour(done, k)], ["parallel", () => drawParallel(done, k)],
    ["curves", drawCurves]];
  const generation = state.generation;
  const next = () => {
    if (generation !== state.generation) return;
    if (!steps.length) {
      if (!window.hpoTiming.charts) window.hpoTiming.charts = performance.now();
      return;
    }
    const [chart, draw] = steps.shift();
    draw();
    if (!window.hpoTiming[chart]) window.hpoTiming[chart] = performance.now();
    setTimeout(next, 0);
  };
  next();
}

function spaced(rows, most) {
  if (rows.length <= most) return rows;
  const step = rows.length / most;
  return Array.from({ length: most }, (_, i) => rows[Math.floor(i * step)]);
}

function drawHistory(done, k) {
  const minimize = state.meta.directions[k] !== "maximize";
  const bestX = [];
  const bestY = [];
  let best = null;
  for (const r of done) {
    const v = r.values[k];
    if (best === null || (minimize ? v < best : v > best)) best = v;
    bestX.push(r.number);
    bestY.push(best);
  }
  Plotly.react("history", [
    { x: done.map((r) => r.number), y: done.map((r) => r.values[k]), mode: "markers",
      type: scatter(done.length), name: "value", marker: { size: 5, color: "#4c78a8" } },
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

function drawParallel(all, k) {
  const done = spaced(all, LINES);
  $("parallel-note").textContent = done.length < all.length
    ? `(${done.length} of ${all.length} trials, evenly spaced)` : "";
  const dims = state.meta.params.map((p) => paramAxis(p, done));
  const y = done.map((r) => r.values[k]);
  dims.push({ label: "value", values: y });
  Plotly.react("parallel", [{
    type: "parcoords", dimensions: dims,
    line: { color: y, colorscale: "Viridis", reversescale: state.meta.directions[k] !== "maximize",
      showscale: true, colorbar: { title: { text: "value" } } },
  }], layout({ margin: { l: 50, r: 40, t: 40, b: 20 } }), CONFIG);
}

function drawSlice(done, k) {
  const p = state.meta.params[Number($("slice-param").value || 0)];
  if (!p) return;
  const axis = paramAxis(p, done);
  Plotly.react("slice", [{
    x: axis.values, y: done.map((r) => r.values[k]), mode: "markers",
    type: scatter(done.length),
    marker: { size: 6, color: done.map((r) => r.number), colorscale: "Blues",
      showscale: true, colorbar: { title: { text: "trial" } } },
  }], layout({ xaxis: { title: { text: axis.label }, tickvals: axis.tickvals,
    ticktext: axis.ticktext }, yaxis: { title: { text: "value" } } }), CONFIG);
}

function drawContour(done, k) {
  const px = state.meta.params[Number($("contour-x").value || 0)];
  const py = state.meta.params[Number($("contour-y").value || 0)];
  if (!px || !py || px === py) {
    message("contour", "pick two parameters");
    return;
  }
  const ax = paramAxis(px, done);
  const ay = paramAxis(py, done);
  const z = done.map((r) => r.values[k]);
  // the mean value in each cell of a 24 x 24 grid (scattered points make no grid of their own)
  const bins = 24;
  const range = (vs) => {
    const ok = vs.filter((v) => v !== null);
    return [Math.min(...ok), Math.max(...ok)];
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
  Plotly.react("contour", [
    { type: "contour", x: centers(x0, x1), y: centers(y0, y1), z: grid, connectgaps: true,
      colorscale: "Viridis", reversescale: state.meta.directions[k] !== "maximize",
      colorbar: { title: { text: "value" } } },
    { type: "scatter", mode: "markers", x: ax.values.slice(-2000), y: ay.values.slice(-2000),
      marker: { size: 4, color: "#fff", line: { width: 1, color: "#333" } }, name: "trials",
      showlegend: false },
  ], layout({ xaxis: { title: { text: ax.label } }, yaxis: { title: { text: ay.label } } }),
  CONFIG);
}

function drawCurves() {
  const reported = trials().filter((r) => r.intermediate.length).slice(-CURVES);
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
  Plotly.react("curves", [
    curves(reported.filter((r) => r.state !== "pruned"), "not pruned", "#4c78a8"),
    curves(pruned, "pruned", "#e45756"),
    { x: stops.map((p) => p[0]), y: stops.map((p) => p[1]), mode: "markers", type: "scatter",
      name: "pruned here", marker: { symbol: "x", size: 7, color: "#e45756" },
      text: pruned.map((r) => `trial ${r.number}`) },
  ], layout({ xaxis: { title: { text: "step" } },
    yaxis: { title: { text: "intermediate value" } } }), CONFIG);
}

async function drawAnalysis(name) {
  try {
    await plotlyReady;
    const q = "?study=" + encodeURIComponent(name);
    const imp = await getJSON("api/importance" + q);
    if (state.study !== name) return;
    if (imp.error) {
      message("importance", imp.error);
    } else {
      const order = imp.importance.map((_, i) => i).sort((a, b) => imp.importance[a] - imp.importance[b]);
      Plotly.react("importance", [{ type: "bar", orientation: "h",
        x: order.map((i) => imp.importance[i]), y: order.map((i) => imp.params[i]) }],
      layout({ margin: { l: 110, r: 20, t: 30, b: 45 },
        xaxis: { title: { text: `relative importance (${imp.method})` } } }), CONFIG);
    }
    if (state.meta.directions.length > 1) drawPareto(await getJSON("api/pareto" + q));
  } catch (err) {
    showError(`cannot read the analysis: ${err.message}`);
  }
}

function drawPareto(body) {
  const m = state.meta.directions.length;
  const front = new Set(body.front);
  const done = trials().filter((r) => r.state === "complete" && r.values
    && !r.values.includes(null));
  const on = done.filter((r) => front.has(r.number)).sort((a, b) => a.values[0] - b.values[0]);
  const off = done.filter((r) => !front.has(r.number));
  const axis = (i) => ({ title: { text: `objective ${i} (${state.meta.directions[i]})` } });
  const pts = (rows, name, color, dims) => Object.assign({
    name, mode: "markers", type: dims === 3 ? "scatter3d" : scatter(done.length),
    x: rows.map((r) => r.values[0]), y: rows.map((r) => r.values[1]),
    text: rows.map((r) => `trial ${r.number}`),
    marker: { size: dims === 3 ? 3 : 6, color },
  }, dims === 3 ? { z: rows.map((r) => r.values[2]) } : {});
  Plotly.react("pareto", [pts(off, "dominated", "#bbb", 2), pts(on, "Pareto front", "#e45756", 2)],
    layout({ xaxis: axis(0), yaxis: axis(1) }), CONFIG);
  $("pareto3d").hidden = m < 3;
  if (m >= 3) {
    Plotly.react("pareto3d", [pts(off, "dominated", "#bbb", 3),
      pts(on, "Pareto front", "#e45756", 3)], layout({ scene: {
      xaxis: axis(0), yaxis: axis(1), zaxis: axis(2) } }), CONFIG);
  }
  Plotly.react("hypervolume", [{ x: body.hypervolume.map((p) => p[0]),
    y: body.hypervolume.map((p) => p[1]), mode: "lines", type: "scatter", name: "hypervolume" }],
  layout({ xaxis: { title: { text: "trial" } }, yaxis: { title: { text: "hypervolume" } } }),
  CONFIG);
}

window.addEventListener("hashchange", route);
route();
