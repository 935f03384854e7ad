// hpo_core dashboard: the trials table of one study, a page of rows at a time. Loaded before
// app.js, whose `state`, `fmt`, `cell` and `trials` it uses when the table is drawn.
"use strict";

const PAGE_ROWS = 100; // rows of the table a page: only these are in the document
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

// the rows that pass the filters, sorted: every trial, not only the page drawn
function matching(cols) {
  const text = $("filter").value.trim().toLowerCase();
  const only = $("state-filter").value;
  let rows = trials().filter((r) => !only || r.state === only);
  if (text) {
    rows = rows.filter((r) => cols.some((c) => fmt(c.get(r)).toLowerCase().includes(text)));
  }
  const col = cols.find((c) => c.key === state.sort.key) || cols[0];
  const sign = state.sort.desc ? -1 : 1;
  return rows.sort((a, b) => sign * compare(col.get(a), col.get(b)) || a.number - b.number);
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
      state.page = 0;
      drawTable();
    };
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  const rows = matching(cols);
  // only one page of rows is in the document: ten thousand rows would cost seconds to lay out
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  state.page = Math.min(Math.max(0, state.page), pages - 1);
  const first = state.page * PAGE_ROWS;
  const shown = rows.slice(first, first + PAGE_ROWS);
  table.tBodies[0].replaceChildren(...shown.map((r) => {
    const tr = document.createElement("tr");
    tr.className = r.state;
    tr.dataset.number = String(r.number);
    tr.append(...cols.map((c) => cell(c.get(r))));
    return tr;
  }));
  table.dataset.matching = String(rows.length);
  $("table-count").textContent = rows.length > shown.length
    ? `rows ${first + 1}-${first + shown.length} of ${rows.length} matching trials`
    : `${rows.length} matching trials`;
  $("prev").disabled = state.page === 0;
  $("next").disabled = state.page >= pages - 1;
}

// the matching trials, every page, as CSV (numbers in full)
function tableCSV() {
  const cols = columns();
  const text = (v) => {
    if (v === null || v === undefined) return "";
    const s = typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [cols.map((c) => text(c.label)).join(",")];
  for (const r of matching(cols)) lines.push(cols.map((c) => text(c.get(r))).join(","));
  return lines.join("\n") + "\n";
}

function exportCSV() {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([tableCSV()], { type: "text/csv" }));
  link.download = `${state.study}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
