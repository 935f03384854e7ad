// hpo_core dashboard: polls the server for the trials changed since the sequence number it
// has and redraws (the charts are in charts.js, the trials table in table.js, both loaded
// first). The page only reads: every request is a GET.
"use strict";

const POLL_MS = 1000;        // how often to ask for new trials
const DRAW_MS = 2000;        // charts are redrawn at most this often (the table at once)
const ANALYSIS_MS = 5000;    // importance and the Pareto front at most this often
// plotly.js: hpo_core's own bundle (1.2 MB: scatter, bar, contour) draws every chart but the
// WebGL ones, and starts in a fifth of the full bundle's time (4.8 MB), which only 3-D fronts
// and WebGL parallel coordinates need
const PLOTLY_FULL = "static/plotly.min.js";
const PLOTLY_SMALL = "static/plotly-dashboard.min.js";

const state = {
  study: null, meta: null, seq: 0, rows: new Map(), sort: { key: "number", desc: false },
  page: 0, stale: new Set(), drawnAt: 0, dirty: false, analysisAt: 0, analysisDone: -1,
  timer: null, generation: 0,
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

function mark(what) {
  if (!window.hpoTiming[what]) window.hpoTiming[what] = performance.now();
}

async function openStudy(name) {
  const generation = state.generation;
  window.hpoTiming = { opened: performance.now() };
  Object.assign(state, { study: name, seq: 0, rows: new Map(), page: 0, stale: new Set(),
    drawnAt: 0, analysisAt: 0, analysisDone: -1 });
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
  preloadPlotly();
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
  // plotly.js starts while the server answers the first poll (it holds the page's only thread
  // for a while, and would otherwise start only after the table, with the thread idle before)
  loadPlotly().catch((err) => showError(err.message));
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
  for (const id of ["slice-param", "contour-x", "contour-y"]) {
    $(id).onchange = () => drawCharts(true);
  }
  $("objective").onchange = () => {
    drawCharts(true);
    drawAnalysis(meta.name, true);
  };
  const firstPage = () => {
    state.page = 0;
    drawTable();
  };
  $("filter").oninput = firstPage;
  $("state-filter").onchange = firstPage;
  $("prev").onclick = () => {
    state.page -= 1;
    drawTable();
  };
  $("next").onclick = () => {
    state.page += 1;
    drawTable();
  };
  $("export-csv").onclick = exportCSV;
  $("export-json").href = `api/trials?study=${encodeURIComponent(meta.name)}&since=0`;
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
    mark("table");
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

// ------------------------------------------------------------------ charts
function complete(k) {
  return trials().filter((r) => r.state === "complete" && r.values && r.values[k] !== null);
}

// the bundle this study's charts need: the full one for a 3-D front (three or more objectives)
// or WebGL parallel coordinates (where WebGL is fast), else the small one; without `probe`
// the guess leaves WebGL out (probing it costs a WebGL context, which a preload need not wait
// for)
function plotlyBundle(probe = true) {
  const full = state.meta.directions.length >= 3 || (probe && !webglIsSlow());
  return full ? PLOTLY_FULL : PLOTLY_SMALL;
}

// the bundle a study's description points to is fetched at once (index.html fetches the
// small one already when the page opens on a study), so that it is compiled by the time
// loadPlotly runs it
function preloadPlotly() {
  const href = plotlyBundle(false);
  if (plotly.src === href || plotly.src === PLOTLY_FULL) return;
  if (document.querySelector(`link[rel=preload][href="${href}"]`)) return;  // index.html's
  const link = document.createElement("link");
  Object.assign(link, { rel: "preload", as: "script", href });
  document.head.append(link);
}

// the bundle asked for, its promise, and the bundle that has started; the full bundle serves
// every study after it
const plotly = { src: null, loading: null, ready: null };
function loadPlotly() {
  const src = plotlyBundle();
  if (plotly.loading && (plotly.src === src || plotly.src === PLOTLY_FULL)) return plotly.loading;
  const before = (plotly.loading || Promise.resolve()).catch(() => {});
  plotly.src = src;
  plotly.loading = before.then(() => new Promise((resolve, reject) => {
    // charts drawn by the small bundle are cleared before the full one replaces it
    if (window.Plotly) for (const div of document.querySelectorAll(".plot")) Plotly.purge(div);
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(script);
  })).then(() => {
    plotly.ready = src;
    mark("plotly");
  });
  return plotly.loading;
}

// charts are drawn when in (or near) the window: the others are marked stale and drawn when
// scrolled to, so a first view costs only the charts it shows
const inView = new Set();
const watcher = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (e.isIntersecting) inView.add(e.target.id);
    else inView.delete(e.target.id);
  }
  drawStale();
}, { rootMargin: "150px" });
for (const id of Object.keys(CHARTS)) watcher.observe($(id));

function drawCharts(force) {
  if (!state.meta || (!force && !state.dirty)) return;
  state.dirty = false;
  state.drawnAt = Date.now();
  for (const id of Object.keys(CHARTS)) state.stale.add(id);
  drawStale();
}

// one chart a task, so the page stays responsive while they are drawn
function drawStale() {
  if (!state.meta || !state.stale.size) return;
  if (plotly.ready !== plotlyBundle() && plotly.ready !== PLOTLY_FULL) {
    loadPlotly().then(drawStale, (err) => showError(err.message));
    return;
  }
  const generation = state.generation;
  const next = () => {
    if (generation !== state.generation) return;
    const id = Object.keys(CHARTS).find((c) => state.stale.has(c) && inView.has(c));
    if (!id) return;
    state.stale.delete(id);
    Promise.resolve(CHARTS[id]()).then(() => mark(id), (err) => showError(err.message));
    setTimeout(next, 0);
  };
  next();
}

// importance (of the objective picked) and, for several objectives, the Pareto front;
// `importanceOnly` when only the objective picked changed
async function drawAnalysis(name, importanceOnly = false) {
  try {
    const q = "?study=" + encodeURIComponent(name);
    const k = objective();
    // asked while plotly.js starts: the server answers meanwhile
    const [imp] = await Promise.all([getJSON(`api/importance${q}&objective=${k}`),
      loadPlotly()]);
    if (state.study !== name || objective() !== k) return;  // another was asked for since
    await drawImportance(imp);
    mark("importance");
    if (!importanceOnly && state.meta.directions.length > 1) {
      drawPareto(await getJSON("api/pareto" + q));
    }
  } catch (err) {
    showError(`cannot read the analysis: ${err.message}`);
  }
}

window.addEventListener("hashchange", route);
route();
