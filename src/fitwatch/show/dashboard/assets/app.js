// fitwatch dashboard: the runs list, a run's live page, runs compared. Vanilla JS + plotly.js,
// both served by the fitwatch process (no CDN, no network). Data is always inserted as text
// (textContent / createTextNode, never innerHTML); names handed to plotly, which reads a little
// HTML in trace names and titles, are escaped first.
"use strict";

const POLL_RUN_MS = 1000;      // a running run's page asks for new epochs this often
const POLL_LIST_MS = 2000;     // the runs list, while a run is running or a verdict is pending
const DETAIL_EVERY_MS = 4000;  // a running run's diagnosis and header are refreshed this often
const STEPS_EVERY_MS = 5000;   // and its batch-level panel
const SEVERITY_ORDER = {critical: 0, warning: 1, info: 2};

let STYLE = null;              // /api/style: the colours of fitwatch/style.py
let view = null;               // the current view's state: {timers, alive}
const listState = {q: "", verdict: "", tag: "", sort: "started_at", order: "desc", selected: new Set(), runs: null,
                   configKeys: [], tags: []};
const CONFIG_COLUMNS = 4;      // the runs list shows at most this many config keys, those that differ across runs
const prefs = {smooth: 0, log: null};   // smoothing weight and log scale (null: automatic), kept across pages

// -- small helpers ------------------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return node;
}

function plotText(s) {  // plotly renders <b>, <br>, <a>... in names: show data as typed
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (!isFinite(v)) return isNaN(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  const a = Math.abs(v);
  if (a >= 1e4 && a < 1e7) return v.toFixed(0);
  if (a !== 0 && (a < 1e-4 || a >= 1e7)) return v.toExponential(digits - 1).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(digits)));
}

function fmtTime(t) {
  if (!t) return "–";
  const d = new Date(t * 1000), p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

function fmtDuration(s) {
  if (s === null || s === undefined || !isFinite(s) || s < 0) return "–";
  if (s < 10) return s.toFixed(1) + "s";
  s = Math.round(s);
  if (s < 60) return s + "s";
  let m = Math.floor(s / 60); s %= 60;
  if (m < 60) return `${m}m ${String(s).padStart(2, "0")}s`;
  let h = Math.floor(m / 60); m %= 60;
  if (h < 24) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, "0")}h`;
}

function words(code) { return String(code || "").replace(/_/g, " "); }

function shade(hex, f) {  // f < 0 darkens, f > 0 lightens
  const n = parseInt(hex.slice(1), 16), t = f < 0 ? 0 : 255, p = Math.abs(f);
  const c = [n >> 16, (n >> 8) & 255, n & 255].map((x) => Math.round((t - x) * p + x));
  return "#" + c.map((x) => x.toString(16).padStart(2, "0")).join("");
}

async function api(path) {
  const r = await fetch(path, {headers: {Accept: "application/json"}, cache: "no-store"});
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    const err = new Error(msg);
    err.status = r.status;
    throw err;
  }
  return r.json();
}

function banner(msg) {
  const b = document.getElementById("banner");
  b.textContent = msg || "";
  b.hidden = !msg;
}

let plotlyPromise = null;
function loadPlotly() {  // 4.8 MB: loaded once, in the background, only when a page draws curves
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    plotlyPromise = new Promise((resolve, reject) => {
      performance.mark("plotly-start");
      const s = el("script", {src: "/assets/plotly-basic.min.js"});
      s.addEventListener("load", () => { performance.measure("plotly", "plotly-start"); resolve(window.Plotly); });
      s.addEventListener("error", () => reject(new Error("could not load /assets/plotly-basic.min.js from the fitwatch server")));
      document.head.appendChild(s);
    });
  }
  return plotlyPromise;
}

function badge(verdict, pending) {
  if (!verdict) return el("span", {class: "verdict none", title: pending ? "being computed" : "no diagnosis"},
                          pending ? "…" : "–");
  const c = (STYLE && STYLE.verdict_colors[verdict]) || "#7f7f7f";
  const b = el("span", {class: "verdict", dataset: {verdict}}, words(verdict));
  b.style.color = shade(c, -0.35);
  b.style.background = c + "1f";
  b.style.borderColor = c + "80";
  return b;
}

function statusPill(status) {
  const pill = el("span", {class: `status status-${status}`, title: status === "killed"
    ? "recorded as running, but its process is gone (its completed epochs are all here)" : null}, status);
  const c = STYLE && STYLE.status_colors[status];
  if (c) pill.style.color = c;
  return pill;
}

function severityChip(severity) {
  const chip = el("span", {class: `sev sev-${severity}`}, severity);
  const c = STYLE && STYLE.severity_colors[severity];
  if (c) { chip.style.color = c; chip.style.background = c + "1a"; }
  return chip;
}

let stylePromise = null;
function ensureStyle() {  // the shared colours, and the store's path for the top bar: once per page load
  if (!stylePromise) {
    stylePromise = Promise.all([api("/api/style"), api("/api")]).then(([s, index]) => { STYLE = s; showStore(index.store); });
    stylePromise.catch(() => { stylePromise = null; });
  }
  return stylePromise;
}

function showStore(path) {
  const node = document.getElementById("store-path");
  node.textContent = `store: ${String(path).replace(/\/fitwatch\.db$/, "")}`;
  node.title = `the store this dashboard reads: ${path}`;
}

function setCrumbs(...parts) {
  const nav = document.getElementById("crumbs");
  nav.replaceChildren(...parts.map((p, i) => el("span", {class: "crumb"},
    i ? el("span", {class: "sep", "aria-hidden": "true"}, "/") : null,
    p.href ? el("a", {href: p.href}, p.text) : el("span", {class: "here"}, p.text))));
}

// -- routing ------------------------------------------------------------------------------------
function leave() {
  if (view) { view.alive = false; view.timers.forEach(clearTimeout); }
  view = {timers: [], alive: true};
  const main = document.getElementById("view");
  delete main.dataset.ready;
  banner("");
  return view;
}

function ready(main, name) {  // the page is drawn: tests and benchmarks wait for this attribute
  main.dataset.readyAt = String(Math.round(performance.now()));  // ms since navigation started
  main.dataset.ready = name;
}

function later(v, fn, ms) { if (v.alive) v.timers.push(setTimeout(() => v.alive && fn(), ms)); }

async function route() {
  const v = leave();
  const hash = location.hash.replace(/^#\/?/, "");
  const m = hash.match(/^run\/(\d+)/);
  const c = hash.match(/^compare\/([\d,]+)/);
  const w = hash.match(/^sweep(?:\/(.*))?$/);
  try {
    if (m) await runPage(v, Number(m[1]));
    else if (w) await sweepPage(v, w[1] ? decodeURIComponent(w[1]) : "");
    else if (c) await comparePage(v, c[1].split(",").filter(Boolean).map(Number));
    else await runsPage(v);
  } catch (e) {
    if (!v.alive) return;
    banner(e.message);
    const main = document.getElementById("view");
    main.replaceChildren(el("p", {class: "empty"}, e.status === 404 ? "Not found. " : "Something went wrong. ",
                            el("a", {href: "#/"}, "Back to the runs")));
  }
}

// -- the runs list ------------------------------------------------------------------------------
const COLUMNS = [
  {key: "name", label: "Name"}, {key: "status", label: "Status"}, {key: "epochs", label: "Epochs", num: true},
  {key: "best_val_loss", label: "Best val loss", num: true}, {key: "verdict", label: "Verdict"},
  {key: "started_at", label: "Started"}, {key: "duration_s", label: "Duration", num: true},
];

async function runsPage(v) {
  setCrumbs({text: "Runs"});
  document.title = "fitwatch · runs";
  const main = document.getElementById("view");
  const filter = el("input", {type: "search", id: "filter", placeholder: "Filter by name", value: listState.q,
                              "aria-label": "filter runs by name", autocomplete: "off"});
  const verdicts = ["good_fit", "still_improving", "overfitting", "underfitting", "not_learning", "unstable", "diverged"];
  const select = el("select", {id: "verdict-filter", "aria-label": "filter runs by verdict"},
    el("option", {value: ""}, "All verdicts"),
    verdicts.map((x) => el("option", {value: x}, words(x))), el("option", {value: "none"}, "no verdict"));
  select.value = listState.verdict;
  const tagSelect = el("select", {id: "tag-filter", "aria-label": "filter runs by tag"});
  const sweepLink = el("a", {href: "#/sweep", id: "sweep-link", class: "button",
                             title: "each run's best validation loss against a config value"}, "Sweep");
  const count = el("span", {class: "count", id: "run-count"});
  const compareBtn = el("button", {type: "button", id: "compare-btn", class: "primary"}, "Compare");
  const table = el("table", {class: "runs", id: "runs-table"});
  main.replaceChildren(
    el("div", {class: "toolbar"}, filter, select, tagSelect, count, el("span", {class: "spacer"}), sweepLink, compareBtn),
    el("div", {class: "table-wrap"}, table),
    el("p", {class: "note hint"}, "Click a run for its curves and diagnosis; tick several to compare them. " +
       "The list and running runs update by themselves."));

  const render = () => renderRuns(table, count, compareBtn);
  filter.addEventListener("input", () => { listState.q = filter.value; render(); });
  select.addEventListener("change", () => { listState.verdict = select.value; render(); });
  tagSelect.addEventListener("change", () => { listState.tag = tagSelect.value; render(); });
  compareBtn.addEventListener("click", () => {
    const ids = [...listState.selected];
    if (ids.length) location.hash = `#/compare/${ids.join(",")}`;
  });

  let last = "";
  const refresh = async () => {
    const [data] = await Promise.all([api("/api/runs"), ensureStyle()]);
    if (!v.alive) return;
    const text = JSON.stringify(data.runs);
    if (text !== last) {
      last = text;
      Object.assign(listState, {runs: data.runs, configKeys: data.config_keys || [], tags: data.tags || []});
      tagOptions(tagSelect);
      render();
    }
    ready(main, "runs");
    if (!window.Plotly) later(v, () => loadPlotly().catch(() => {}), 400);  // a click on a run then draws at once
    const live = data.runs.some((r) => r.status === "running" || r.verdict_pending);
    later(v, () => refresh().catch((e) => { banner(e.message); later(v, refresh, POLL_LIST_MS * 3); }),
          live ? POLL_LIST_MS : POLL_LIST_MS * 3);
  };
  await refresh();
}

function visibleRuns() {
  const q = listState.q.trim().toLowerCase();
  let rows = listState.runs || [];
  if (q) rows = rows.filter((r) => r.name.toLowerCase().includes(q));
  if (listState.verdict)  // a multi-head model's run: any head's verdict
    rows = rows.filter((r) => (r.verdicts ? Object.values(r.verdicts) : [r.verdict || "none"]).includes(listState.verdict));
  if (listState.tag) rows = rows.filter((r) => (r.tags || []).includes(listState.tag));
  const {sort, order} = listState;
  const get = (r) => (sort.startsWith("config.") ? (r.config || {})[sort.slice(7)] : r[sort]);
  const val = (r) => { const x = get(r); return typeof x === "string" ? x.toLowerCase() : typeof x === "object" ? JSON.stringify(x) : x; };
  const present = rows.filter((r) => get(r) !== null && get(r) !== undefined);
  const missing = rows.filter((r) => get(r) === null || get(r) === undefined);
  present.sort((a, b) => {
    const x = val(a), y = val(b);
    const c = x < y ? -1 : x > y ? 1 : a.id - b.id;
    return order === "asc" ? c : -c;
  });
  return present.concat(missing);   // missing values last either way, as /api/runs
}

function tagOptions(select) {
  if (listState.tag && !listState.tags.includes(listState.tag)) listState.tag = "";
  select.replaceChildren(el("option", {value: ""}, "All tags"), ...listState.tags.map((t) => el("option", {value: t}, t)));
  select.value = listState.tag;
  select.hidden = !listState.tags.length;
}

function configCell(v) {
  if (v === undefined || v === null) return el("span", {class: "muted"}, "–");
  return typeof v === "number" ? fmt(v) : typeof v === "object" ? JSON.stringify(v) : String(v);
}

function renderRuns(table, count, compareBtn) {
  const all = listState.runs || [];
  const rows = visibleRuns();
  const keys = listState.configKeys.slice(0, CONFIG_COLUMNS);
  const columns = COLUMNS.concat(keys.map((k) => ({key: `config.${k}`, label: k, config: true})));
  const head = el("tr", {}, el("th", {class: "check"}),
    columns.map((c) => {
      const active = listState.sort === c.key;
      const th = el("th", {class: (c.num ? "num " : "") + (c.config ? "config " : "") + "sortable" + (active ? " sorted" : ""),
                           dataset: {sort: c.key}, "aria-sort": active ? (listState.order === "asc" ? "ascending" : "descending") : "none",
                           tabindex: "0", title: c.config ? `config ${c.label}: sort by it` : `sort by ${c.label.toLowerCase()}`},
                    c.label, el("span", {class: "arrow", "aria-hidden": "true"},
                                active ? (listState.order === "asc" ? "▲" : "▼") : ""));
      const go = () => {
        if (listState.sort === c.key) listState.order = listState.order === "asc" ? "desc" : "asc";
        else { listState.sort = c.key; listState.order = c.num || c.key.endsWith("_at") ? "desc" : "asc"; }
        renderRuns(table, count, compareBtn);
      };
      th.addEventListener("click", go);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
      return th;
    }));
  const body = document.createDocumentFragment();
  for (const r of rows) {
    const box = el("input", {type: "checkbox", "aria-label": "select for comparison", checked: listState.selected.has(r.id)});
    box.addEventListener("change", () => {
      if (box.checked) listState.selected.add(r.id); else listState.selected.delete(r.id);
      updateCompare(compareBtn);
    });
    // no val_loss: each head's best (val_reg_loss...), or the judged score's, as `fitwatch runs` gives them
    const heads = r.heads || [];
    const best = r.best_val_loss !== null
      ? el("span", {}, fmt(r.best_val_loss), el("span", {class: "muted"}, ` @ ${r.best_epoch}`))
      : heads.length ? el("span", {}, heads.map((h, i) => el("span", {class: "head-best"}, i ? "; " : "",
          el("span", {class: "muted"}, `${h.key} `), fmt(h.best_value), el("span", {class: "muted"}, ` @ ${h.best_epoch}`))))
      : el("span", {class: "muted"}, "–");
    body.appendChild(el("tr", {dataset: {id: r.id}},
      el("td", {class: "check"}, box),
      el("td", {class: "name"}, el("a", {href: `#/run/${r.id}`, class: "run-link"}, r.name),
         (r.tags || []).map((t) => el("span", {class: "tag", title: `show only the runs tagged ${t}`, onclick: () => {
           listState.tag = t; const s = document.getElementById("tag-filter"); if (s) s.value = t;
           renderRuns(table, count, compareBtn); }}, t)),
         r.note ? el("div", {class: "note-line", title: r.note}, r.note) : null,
         r.error ? el("div", {class: "err-line", title: r.error}, r.error) : null),
      el("td", {}, statusPill(r.status)),
      el("td", {class: "num"}, r.epochs),
      el("td", {class: "num"}, best),
      el("td", {}, r.verdicts ? Object.values(r.verdicts).map((v) => badge(v)) : badge(r.verdict, r.verdict_pending)),
      el("td", {class: "muted"}, fmtTime(r.started_at)),
      el("td", {class: "num muted"}, fmtDuration(r.duration_s)),
      keys.map((k) => el("td", {class: "config"}, configCell((r.config || {})[k])))));
  }
  const tbody = el("tbody");
  tbody.appendChild(body);
  table.replaceChildren(el("thead", {}, head), tbody);
  if (!all.length) {
    tbody.appendChild(el("tr", {}, el("td", {colspan: columns.length + 1, class: "empty"},
      "No runs in this store yet. Record one with fitwatch.Run(...) or fitwatch.keras.Callback(...): it shows here as it trains.")));
  } else if (!rows.length) {
    tbody.appendChild(el("tr", {}, el("td", {colspan: columns.length + 1, class: "empty"}, "No run matches the filter.")));
  }
  count.textContent = rows.length === all.length ? `${all.length} run${all.length === 1 ? "" : "s"}`
    : `${rows.length} of ${all.length} runs`;
  updateCompare(compareBtn);
}

function updateCompare(btn) {
  const ids = new Set((listState.runs || []).map((r) => r.id));
  for (const id of [...listState.selected]) if (!ids.has(id)) listState.selected.delete(id);
  const n = listState.selected.size;
  btn.textContent = n ? `Compare ${n} run${n === 1 ? "" : "s"}` : "Compare";
  btn.disabled = n < 1;
  btn.title = n ? "overlay the selected runs' curves" : "tick runs to compare them";
}

// -- controls shared by the run and compare pages ----------------------------------------------
function controls(onSmooth, onLog, extra) {
  const slider = el("input", {type: "range", id: "smooth", min: "0", max: "0.99", step: "0.01", value: String(prefs.smooth),
                              "aria-label": "smoothing weight"});
  const out = el("output", {id: "smooth-value", for: "smooth"}, prefs.smooth.toFixed(2));
  let pending = null;
  slider.addEventListener("input", () => {
    prefs.smooth = Number(slider.value);
    out.textContent = prefs.smooth.toFixed(2);
    clearTimeout(pending);
    pending = setTimeout(() => onSmooth(prefs.smooth), 120);
  });
  const log = el("input", {type: "checkbox", id: "logscale"});
  log.addEventListener("change", () => { prefs.log = log.checked; onLog(log.checked); });
  const bar = el("div", {class: "controls"},
    el("label", {class: "ctl", title: "TensorBoard's smoothing: an exponential moving average of the full series, debiased; the raw curve stays faint behind"},
       "Smoothing", slider, out),
    el("label", {class: "ctl toggle", title: "logarithmic loss axis"}, log, "Log scale"),
    el("span", {class: "spacer"}), extra || null);
  return {bar, log};
}

// -- plotting -----------------------------------------------------------------------------------
const PLOT_CONFIG = {displaylogo: false, responsive: true, scrollZoom: false,
                     modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"]};

function logAxis(seriesList) {
  // as fitwatch report: plain numbers (0.01, 0.02, 0.05, 0.1...) over up to 3 decades, powers of ten beyond
  let lo = Infinity, hi = -Infinity;
  for (const s of seriesList) for (const y of s.y) if (y !== null && y > 0) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
  const decades = isFinite(lo) ? Math.log10(hi / lo) : 0;
  return decades <= 3 ? {type: "log", dtick: "D2", minorloglabels: "complete", tickformat: ".2~g"}
    : {type: "log", dtick: 1, minorloglabels: "none", exponentformat: "power"};
}

function baseLayout(title, xtitle, logY) {
  return {  // uirevision: zoom and legend clicks survive live updates; a new scale starts unzoomed
    title: {text: title, x: 0, xanchor: "left", xref: "paper", font: {size: 13, color: "#222"}, y: 0.98, yanchor: "top", pad: {l: 4}},
    margin: {l: 58, r: 14, t: 34, b: 40},
    font: {family: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif", size: 11, color: "#333"},
    paper_bgcolor: "#fff", plot_bgcolor: "#fff",
    xaxis: {title: {text: xtitle, standoff: 6}, gridcolor: "#eceef1", zeroline: false, linecolor: "#c8ccd2", ticks: "outside",
            tickcolor: "#c8ccd2", automargin: true},
    yaxis: {type: "linear", ...(logY || {}), gridcolor: "#eceef1", zeroline: false, linecolor: "#c8ccd2", ticks: "outside",
            tickcolor: "#c8ccd2", automargin: true, exponentformat: "e"},
    legend: {orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", font: {size: 11}, bgcolor: "rgba(255,255,255,0)"},
    hovermode: "x unified",
    hoverlabel: {bgcolor: "#fff", bordercolor: "#c8ccd2", font: {size: 11}},
    uirevision: logY ? "log" : "linear",
    shapes: [], annotations: [],
  };
}

function epochTicks(layout, seriesList) {  // no half epochs on short runs
  let hi = 0;
  for (const s of seriesList) if (s.x.length) hi = Math.max(hi, s.x[s.x.length - 1]);
  if (hi <= 12) layout.xaxis.dtick = 1;
}

function autoLog(seriesList) {  // as `fitwatch plot`: log when a loss spans more than two decades, all positive
  let lo = Infinity, hi = -Infinity;
  for (const s of seriesList) for (const y of s.y) {
    if (y === null) continue;
    if (y <= 0) return false;
    lo = Math.min(lo, y); hi = Math.max(hi, y);
  }
  return isFinite(lo) && hi / lo > ((STYLE && STYLE.log_span) || 100);
}

function lineTraces(s, {name, color, dash, group, showlegend = true, width = 2, hoverName}) {
  // the raw curve, and the smoothed one over it when smoothing is on (raw kept faint behind)
  const alpha = (STYLE && STYLE.annotation.raw_alpha) || 0.25;
  const mode = s.x.length <= 1 ? "lines+markers" : "lines";
  const raw = {x: s.x, y: s.y, type: "scatter", mode, name: plotText(name), legendgroup: group,
               line: {color, dash, width: s.smoothed ? 1 : width}, marker: {size: 5}, showlegend,
               hovertemplate: `${plotText(hoverName || name)}: %{y:.4g}<extra></extra>`, meta: {role: "raw", key: s.key}};
  if (!s.smoothed) return [raw];
  raw.opacity = alpha; raw.showlegend = false; raw.hoverinfo = "skip"; delete raw.hovertemplate;
  return [raw, {x: s.smoothed.x, y: s.smoothed.y, type: "scatter", mode, name: plotText(name), legendgroup: group,
                line: {color, dash, width}, showlegend, meta: {role: "smoothed", key: s.key},
                hovertemplate: `${plotText(hoverName || name)}: %{y:.4g} (smoothed)<extra></extra>`}];
}

function vline(layout, x, color, dash, label, yLabel) {
  layout.shapes.push({type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1,
                      line: {color, width: 1.3, dash}, layer: "below"});
  if (label) layout.annotations.push({x, xref: "x", y: yLabel, yref: "paper", text: label, showarrow: false,
                                      xanchor: "left", xshift: 3, font: {size: 10, color}, bgcolor: "rgba(255,255,255,0.8)"});
}

function annotate(layout, ann, withLabels) {
  if (!ann || !STYLE) return;
  const A = STYLE.annotation;
  if (ann.onset_epoch !== null && ann.onset_epoch !== undefined) {
    const end = Math.max(ann.last_epoch ?? ann.onset_epoch, ann.onset_epoch);
    layout.shapes.push({type: "rect", xref: "x", yref: "paper", x0: ann.onset_epoch, x1: end, y0: 0, y1: 1,
                        fillcolor: A.onset, opacity: A.onset_alpha, line: {width: 0}, layer: "below"});
    if (withLabels) layout.annotations.push({x: ann.onset_epoch, xref: "x", y: 0.02, yref: "paper", yanchor: "bottom",
      text: `overfitting from epoch ${ann.onset_epoch}`, showarrow: false, xanchor: "left", xshift: 3,
      font: {size: 10, color: shade(A.onset, -0.2)}});
  }
  if (ann.best_epoch !== null && ann.best_epoch !== undefined)
    vline(layout, ann.best_epoch, A.best, "dot", withLabels ? `best ${ann.best_epoch}` : null, 0.98);
  if (ann.stopped_epoch !== null && ann.stopped_epoch !== undefined)
    vline(layout, ann.stopped_epoch, A.stop, "dashdot", withLabels ? `early stop ${ann.stopped_epoch}` : null, 0.9);
  if (ann.first_nonfinite)
    vline(layout, ann.first_nonfinite[0], A.nonfinite || "#8b0000", "dash",
          withLabels ? `${ann.first_nonfinite[1]} at ${ann.first_nonfinite[0]}` : null, 0.82);
}

function bestMarker(s, epoch, color, name, role = "best", marker = {size: 10, color, line: {color: "#fff", width: 1.5}}) {
  // a dot on curve s at an epoch (the best one; on the compare page also the onset, as an open diamond)
  if (epoch === null || epoch === undefined || !s) return null;
  const i = s.x.indexOf(epoch);
  if (i < 0 || s.y[i] === null) return null;
  return {x: [epoch], y: [s.y[i]], type: "scatter", mode: "markers", name: plotText(name), showlegend: false,
          marker, hovertemplate: `${plotText(name)}: %{y:.4g}<extra></extra>`, meta: {role}};
}

function metricTitle(metric) { return metric === "loss" ? "loss" : metric; }

function groupByMetric(series) {
  const groups = new Map();
  for (const s of series) {
    if (!groups.has(s.metric)) groups.set(s.metric, []);
    groups.get(s.metric).push(s);
  }
  return [...groups.entries()].sort((a, b) => (a[0] === "loss" ? -1 : b[0] === "loss" ? 1 : a[0] < b[0] ? -1 : 1));
}

function panelId(prefix, metric) { return `${prefix}-${metric.replace(/[^A-Za-z0-9_-]/g, "_")}`; }

// -- a run --------------------------------------------------------------------------------------
async function runPage(v, id) {
  const main = document.getElementById("view");
  setCrumbs({text: "Runs", href: "#/"}, {text: `run ${id}`});
  const plotlyReady = loadPlotly();
  const [detail, curves] = await Promise.all([
    api(`/api/runs/${id}`), api(`/api/runs/${id}/curves?smooth=${prefs.smooth}`),
    ensureStyle()]);
  if (!v.alive) return;
  setCrumbs({text: "Runs", href: "#/"}, {text: detail.name});
  document.title = `fitwatch · ${detail.name}`;
  const state = {id, detail, curves: indexSeries(curves.series), lastEpoch: curves.last_epoch, status: curves.status,
                 steps: null, logOn: false, lastDetail: Date.now(), lastSteps: Date.now()};

  const exportLinks = el("span", {class: "exports"}, "Export ",
    el("a", {href: `/api/runs/${id}/export.csv`, download: `fitwatch-run-${id}.csv`, id: "export-csv"}, "CSV"), " · ",
    el("a", {href: `/api/runs/${id}/export.json`, download: `fitwatch-run-${id}.json`, id: "export-json"}, "JSON"));
  const {bar, log} = controls(
    async (w) => { await refetchAll(v, state, w); },
    (on) => { state.logOn = on; redrawRun(state); },
    exportLinks);
  const head = el("div", {class: "run-head", id: "run-head"});
  const plots = el("div", {class: "plots", id: "plots"});
  const side = el("aside", {class: "side", id: "side"});
  main.replaceChildren(head, bar, el("div", {class: "run-grid"}, plots, side));
  renderHead(head, state);
  renderSide(side, state);

  state.logOn = prefs.log === null ? autoLog(lossSeries(state)) : prefs.log;
  log.checked = state.logOn;
  await plotlyReady;
  if (!v.alive) return;
  await Promise.all([drawRunPlots(plots, state), loadSteps(v, state, plots), drawLayers(v, state, plots)]);
  if (!v.alive) return;
  ready(main, "run");
  if (state.status === "running") later(v, () => poll(v, state), POLL_RUN_MS);
}

function indexSeries(list) { const m = new Map(); for (const s of list) m.set(s.key, s); return m; }
function lossSeries(state) { return [...state.curves.values()].filter((s) => s.metric === "loss"); }

function renderHead(head, state) {
  const d = state.detail;
  const diag = d.diagnosis;
  const facts = [
    `#${d.id}`,
    `${d.epochs} epoch${d.epochs === 1 ? "" : "s"}`,
    d.best_val_loss !== null ? `best val loss ${fmt(d.best_val_loss)} @ epoch ${d.best_epoch}` : null,
    ...(d.best_val_loss === null ? (d.heads || []).map((h) => `best ${h.key} ${fmt(h.best_value)} @ epoch ${h.best_epoch}`) : []),
    `started ${fmtTime(d.started_at)}`,
    `duration ${fmtDuration(d.duration_s)}`,
  ].filter(Boolean);
  head.replaceChildren(...[
    el("div", {class: "title-row"},
      el("h1", {class: "run-name", id: "run-name"}, d.name),
      statusPill(d.status),
      ...(diag && diag.verdict ? (diag.runs && diag.runs.length ? diag.runs : [diag]).map((h) => badge(h.verdict)) : []),
      d.status === "running" ? el("span", {class: "live", title: `new epochs appear within ${POLL_RUN_MS / 1000} s`}, "live") : null),
    el("div", {class: "facts"}, facts.join("  ·  ")),
    d.error_line ? el("div", {class: "err-line"}, d.error_line) : null].filter(Boolean));
}

function findingBox(f, i) {
  const evidence = Object.entries(f.evidence || {});
  const body = el("div", {class: "finding-body"},
    el("p", {class: "message"}, f.message.replace(/ -> /g, " → ")),  // a line never breaks inside the arrow
    f.remedies && f.remedies.length ? el("ul", {class: "remedies"}, f.remedies.map((r) => el("li", {}, r))) : null,
    evidence.length ? el("details", {class: "evidence"}, el("summary", {}, "Evidence"),
      el("dl", {}, evidence.map(([k, val]) => [el("dt", {}, words(k)), el("dd", {}, fmtValue(val))]))) : null);
  const title = el("span", {class: "finding-title"},
    severityChip(f.severity), el("span", {class: "code"}, words(f.code)),
    f.epochs && f.epochs.length ? el("span", {class: "muted epochs"},
      f.epochs[0] === f.epochs[1] ? `epoch ${f.epochs[0]}` : `epochs ${f.epochs[0]}–${f.epochs[1]}`) : null);
  return el("details", {class: "finding", open: i === 0, dataset: {code: f.code}}, el("summary", {}, title), body);
}

function renderSide(side, state) {
  const d = state.detail;
  const diag = d.diagnosis;
  const cards = [];
  // the diagnosis
  const dc = el("section", {class: "card diagnosis", id: "diagnosis"}, el("h2", {}, "Diagnosis"));
  if (!diag) {
    dc.appendChild(el("p", {class: "muted"}, d.epochs ? "No diagnosis: the run has no loss curve."
      : d.status === "running" ? "Waiting for the first epoch…" : "No epoch was recorded."));
  } else {
    // a multi-head model without a total loss: each head's verdict and findings (diag.runs, "run [head]")
    const heads = diag.runs && diag.runs.length ? diag.runs : [diag];
    heads.forEach((h) => {
      if (heads.length > 1) dc.appendChild(el("h3", {class: "head-name"}, h.name || h.monitor));
      const sub = [];
      if (h.best_epoch !== null) sub.push(`best epoch ${h.best_epoch}`);
      if (h.onset_epoch !== null) sub.push(`overfitting from epoch ${h.onset_epoch}`);
      dc.appendChild(el("div", {class: "verdict-row"}, badge(h.verdict), el("span", {class: "muted"}, sub.join(" · "))));
      if (h === heads[0] && d.diagnosis_source === "computed" && d.status === "running")
        dc.appendChild(el("p", {class: "note"}, "Computed from the epochs so far; it is final when the run finishes."));
      (h.findings || []).forEach((f, i) => dc.appendChild(findingBox(f, i)));
    });
  }
  cards.push(dc);
  // before training: fitwatch.preflight's checks and lr_find's suggested learning rate
  if (d.before && d.before.length) {
    cards.push(el("section", {class: "card before", id: "before-training"}, el("h2", {}, "Before training"),
      el("ul", {class: "before"}, d.before.map((t) => el("li", {}, t)))));
  }
  // early stopping
  const es = d.early_stopping;
  if (es) {
    const rows = [
      ["stopped", es.stopped ? `yes, at epoch ${es.stopped_epoch}` : "no"],
      ["best epoch", es.best_epoch !== undefined ? `${es.best_epoch} (${es.monitor || "val_loss"} ${fmt(es.best_value)})` : null],
      ["weights restored", es.restored ? `from epoch ${es.restored_epoch}` : (es.restored === false ? "no" : null)],
      ["criterion", es.criterion], ["planned epochs", es.epochs_planned], ["reason", es.reason],
      ["checkpoint", es.checkpoint ? `${es.checkpoint} (epoch ${es.checkpoint_epoch})` : null],
    ].filter((r) => r[1] !== null && r[1] !== undefined && r[1] !== "");
    cards.push(el("section", {class: "card early-stop", id: "early-stop"}, el("h2", {}, "Early stopping"), kvTable(rows)));
  }
  // what went wrong, in full (the header shows its last line)
  if (d.error) {
    cards.push(el("section", {class: "card error", id: "error"}, el("h2", {}, "Error"),
      el("details", {}, el("summary", {}, d.error_line || "traceback"), el("pre", {class: "traceback"}, d.error))));
  }
  // config
  const config = Object.entries(d.config || {});
  cards.push(el("section", {class: "card config", id: "config"}, el("h2", {}, "Config"),
    config.length ? kvTable(config.map(([k, val]) => [k, fmtValue(val)])) : el("p", {class: "muted"}, "No config recorded.")));
  // the record
  const info = Object.entries(d.info || {}).filter(([k]) => !["early_stopping", "early_stopping_state", "stopped_epoch"].includes(k));
  cards.push(el("section", {class: "card record"}, el("h2", {}, "Run"),
    kvTable([["id", d.id], ["status", d.status], ["started", fmtTime(d.started_at)], ["ended", fmtTime(d.ended_at)],
             ["host", d.host], ["pid", d.pid], ...info.map(([k, val]) => [k, fmtValue(val)])]
      .filter((r) => r[1] !== null && r[1] !== undefined))));
  side.replaceChildren(...cards);
}

function fmtValue(v) {
  if (typeof v === "number") return fmt(v, 6);
  if (v === null) return "null";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function kvTable(rows) {
  return el("table", {class: "kv"}, el("tbody", {}, rows.map(([k, val]) =>
    el("tr", {}, el("th", {scope: "row"}, String(k)), el("td", {}, String(val))))));
}

async function drawRunPlots(plots, state) {
  // one panel per metric (loss first), train and val together; then the batch-level panel(s)
  const groups = groupByMetric([...state.curves.values()]);
  const keep = new Set(groups.map(([m]) => panelId("plot", m)));
  for (const node of [...plots.querySelectorAll(".panel.epochs")]) if (!keep.has(node.dataset.plot)) node.remove();
  if (!groups.length) {
    const text = state.status === "running" ? "Waiting for the first epoch…" : "No epoch was recorded.";
    if (!plots.querySelector(".waiting")) plots.prepend(el("p", {class: "empty waiting"}, text));
    return;
  }
  const waiting = plots.querySelector(".waiting");
  if (waiting) waiting.remove();
  const jobs = [];
  let prev = null;
  const lone = groups.filter(([m]) => m !== "loss").length === 1;
  for (const [metric, list] of groups) {
    const pid = panelId("plot", metric);
    let panel = plots.querySelector(`[data-plot="${pid}"]`);
    if (!panel) {
      panel = el("div", {class: "panel epochs" + (metric === "loss" ? " main" : ""), dataset: {plot: pid}},
                 el("div", {class: "plot", id: pid}));
      if (prev) prev.after(panel); else plots.prepend(panel);
    }
    panel.classList.toggle("wide", lone);
    prev = panel;
    jobs.push(drawEpochPanel(panel.firstChild, metric, list, state));
  }
  await Promise.all(jobs);
}

function drawEpochPanel(div, metric, list, state) {
  const all = state.detail.annotations;
  // a multi-head model: each head's best epoch and onset on its own panel (annotations.heads), none elsewhere
  const head = all.heads ? all.heads[metric] : null;
  const ann = all.heads ? {...all, best_epoch: head ? head.best_epoch : null, onset_epoch: head ? head.onset_epoch : null} : all;
  const isLoss = metric === "loss";
  const judged = isLoss || !!head;
  const layout = baseLayout(plotText(metricTitle(metric)), "epoch", isLoss && state.logOn ? logAxis(list) : null);
  epochTicks(layout, list);
  const traces = [];
  for (const s of list) traces.push(...lineTraces(s, {name: s.split, color: s.color, dash: "solid", group: s.key}));
  const monitor = list.find((s) => s.split === "val") || (isLoss ? list.find((s) => s.split === "train") : null);
  if (judged && monitor) {
    const m = bestMarker(monitor.smoothed ? {x: monitor.x, y: monitor.y} : monitor, ann.best_epoch, STYLE.annotation.best,
                         `best epoch ${ann.best_epoch}`);
    if (m) traces.push(m);
  }
  annotate(layout, ann, judged);
  div.dataset.points = String(list.reduce((n, s) => n + s.x.length, 0));
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

// the batch-level panel: one split and metric at a time, picked in its menu (train loss first). Each
// split counts its own steps (val step 10 is not train step 10), so splits never share its step axis.
const stepsChoice = new Map();  // run id -> the menu's value: kept across live refreshes and visits in this tab

function stepsValue(s) { return `${encodeURIComponent(s.split)}/${encodeURIComponent(s.metric)}`; }

function stepsKeys(state) {  // the pairs with batch values: train, val, test, other splits; loss first in each
  const rank = (split) => ({train: 0, val: 1, test: 2}[split] ?? 3);
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return (state.detail.steps || []).filter((s) => s.n > 0).sort((a, b) => rank(a.split) - rank(b.split) ||
    cmp(a.split, b.split) || (a.metric === "loss" ? -1 : b.metric === "loss" ? 1 : cmp(a.metric, b.metric)));
}

function stepsMenu(v, state, plots) {
  // the panel and its menu, in step with state.detail.steps (new splits appear while a run trains);
  // returns the pair to draw: the one picked for this run, else train loss, else a loss, else the first
  const keys = stepsKeys(state);
  const chosen = stepsChoice.get(state.id);
  const pick = keys.find((s) => stepsValue(s) === chosen) || keys.find((s) => s.split === "train" && s.metric === "loss") ||
    keys.find((s) => s.metric === "loss") || keys[0];
  let panel = plots.querySelector(".panel.steps");
  if (!pick) { if (panel) panel.remove(); state.steps = null; return null; }
  if (!panel) {
    const select = el("select", {id: "steps-series", title: "which split and metric to draw per batch"});
    select.addEventListener("change", () => {
      stepsChoice.set(state.id, select.value);
      loadSteps(v, state, plots).catch((e) => v.alive && banner(e.message));
    });
    panel = el("div", {class: "panel steps", dataset: {plot: "plot-steps"}},
      el("div", {class: "panel-bar"}, el("label", {for: "steps-series"}, "Per batch"), select,
         el("span", {class: "muted"}, "each split counts its own steps")),
      el("div", {class: "plot", id: "plot-steps"}));
    plots.appendChild(panel);
  }
  const select = panel.querySelector("select");
  const values = keys.map(stepsValue);
  if ([...select.options].map((o) => o.value).join("\n") !== values.join("\n")) {  // rebuilt only when pairs come or go
    select.replaceChildren(...keys.map((s) => el("option", {value: stepsValue(s)})));
  }
  keys.forEach((s, i) => { select.options[i].textContent = `${s.split} / ${s.metric} (${s.n.toLocaleString("en")})`; });
  select.value = stepsValue(pick);
  return pick;
}

async function drawLayers(v, state, plots) {
  // a run watched with run.watch(model): its panels inside the model, under the curves (drawn once);
  // and the learning-rate range test stored with it (fitwatch.lr_find(..., run=run))
  const data = await api(`/api/runs/${state.id}/layers`);
  if (!v.alive) return;
  if (data.lr_find) {
    let lr = plots.querySelector("#before");
    if (!lr) {
      lr = el("div", {class: "inside", id: "before"}, el("h3", {}, "Before training"),
        el("div", {class: "panel wide"}, el("div", {class: "plot", id: data.lr_find.id})));
      plots.append(lr);
    }
    const div = lr.querySelector(`#${data.lr_find.id}`);
    div.style.height = `${data.lr_find.layout.height}px`;
    await Plotly.react(div, data.lr_find.data, data.lr_find.layout, PLOT_CONFIG);
  }
  if (!data.panels.length) return;
  let box = plots.querySelector("#inside");
  if (!box) {
    box = el("div", {class: "inside", id: "inside"}, el("h3", {}, "Inside the model"));
    plots.append(box);
  }
  for (const fig of data.panels) {
    let div = box.querySelector(`#${fig.id}`);
    if (!div) {
      div = el("div", {class: "plot", id: fig.id});
      box.append(el("div", {class: "panel wide layers"}, div));
    }
    div.style.height = `${fig.layout.height}px`;
    await Plotly.react(div, fig.data, fig.layout, PLOT_CONFIG);
  }
}

async function loadSteps(v, state, plots) {
  const pick = stepsMenu(v, state, plots);
  if (!pick) return;
  const seq = state.stepsSeq = (state.stepsSeq || 0) + 1;
  const q = `split=${encodeURIComponent(pick.split)}&metric=${encodeURIComponent(pick.metric)}`;
  const data = await api(`/api/runs/${state.id}/steps?${q}&smooth=${prefs.smooth}&max_points=2000`);
  if (!v.alive || seq !== state.stepsSeq) return;  // another pick or smoothing was asked for since: its answer draws
  state.steps = data;
  state.stepsStale = false;
  await drawSteps(plots, state);
}

async function drawSteps(plots, state) {
  const data = state.steps;
  const div = plots.querySelector("#plot-steps");
  if (!data || !data.series.length || !div) return;
  const total = data.series.reduce((n, s) => n + s.n, 0);
  const shown = data.series.reduce((n, s) => n + s.x.length, 0);
  const {split, metric, key} = data.series[0];
  const isLoss = metric === "loss";  // the log toggle switches the loss panels, as above
  const layout = baseLayout(plotText(`${split} ${metric} per batch`) + `<span style="color:#888;font-size:11px">  ·  ${total.toLocaleString("en")} values` +
                            (shown < total ? `, drawn as the lowest and highest of each of ${data.max_points.toLocaleString("en")} buckets` : "") + "</span>",
                            `${plotText(split)} step`, isLoss && state.logOn ? logAxis(data.series) : null);
  layout.hovermode = "closest";
  layout.uirevision = `${key} ${layout.uirevision}`;  // another series starts unzoomed
  const traces = [];
  for (const s of data.series) {
    traces.push(...lineTraces(s, {name: s.split, color: s.color, dash: "solid", group: s.key, width: 1.2,
                                  hoverName: `${s.split} ${s.metric}`}));
  }
  div.dataset.points = String(shown);
  div.dataset.total = String(total);
  div.dataset.series = stepsValue(data.series[0]);
  await Plotly.react(div, traces, layout, PLOT_CONFIG);
}

function redrawRun(state) {
  const plots = document.getElementById("plots");
  return Promise.all([drawRunPlots(plots, state), drawSteps(plots, state)]);
}

async function refetchAll(v, state, w) {
  const curves = await api(`/api/runs/${state.id}/curves?smooth=${w}`);
  if (!v.alive) return;
  state.curves = indexSeries(curves.series);
  state.lastEpoch = curves.last_epoch;
  const plots = document.getElementById("plots");
  await Promise.all([drawRunPlots(plots, state), loadSteps(v, state, plots)]);
}

async function poll(v, state) {
  if (document.hidden) { later(v, () => poll(v, state), POLL_RUN_MS); return; }  // a background tab asks nothing
  try {
    const since = state.lastEpoch === null || state.lastEpoch === undefined ? "" : `&since_epoch=${state.lastEpoch}`;
    const c = await api(`/api/runs/${state.id}/curves?smooth=${prefs.smooth}${since}`);
    if (!v.alive) return;
    let grew = false;
    for (const s of c.series) {
      const old = state.curves.get(s.key);
      if (!old) { state.curves.set(s.key, s); grew = true; continue; }
      if (!s.x.length) continue;
      old.x = old.x.concat(s.x); old.y = old.y.concat(s.y); old.n = s.n;
      old.nonfinite = (old.nonfinite || []).concat(s.nonfinite || []);
      if (s.smoothed && old.smoothed) {
        old.smoothed.x = old.smoothed.x.concat(s.smoothed.x); old.smoothed.y = old.smoothed.y.concat(s.smoothed.y);
      }
      grew = true;
    }
    if (c.last_epoch !== null && c.last_epoch !== undefined) state.lastEpoch = c.last_epoch;
    const ended = c.status !== "running";
    const now = Date.now();
    if (ended || (grew && now - state.lastDetail > DETAIL_EVERY_MS) || now - state.lastDetail > DETAIL_EVERY_MS * 3) {
      state.lastDetail = now;
      state.detail = await api(`/api/runs/${state.id}`);
      if (!v.alive) return;
      renderHead(document.getElementById("run-head"), state);
      renderSide(document.getElementById("side"), state);
      const plots = document.getElementById("plots");  // the menu: new pairs and counts; the pick stays
      if (plots.querySelector(".panel.steps")) stepsMenu(v, state, plots);
    } else if (grew) {
      state.detail.annotations.last_epoch = state.lastEpoch;
    }
    if (grew || ended) await drawRunPlots(document.getElementById("plots"), state);
    if (grew) state.stepsStale = true;  // redrawn within STEPS_EVERY_MS of an epoch, or when the run ends
    if ((state.stepsStale && now - state.lastSteps > STEPS_EVERY_MS) || ended) {
      state.lastSteps = now;
      await loadSteps(v, state, document.getElementById("plots"));
    }
    state.status = c.status;
    if (!ended) later(v, () => poll(v, state), POLL_RUN_MS);
  } catch (e) {
    if (!v.alive) return;
    banner(`live update failed: ${e.message}; retrying`);
    later(v, () => { banner(""); poll(v, state); }, POLL_RUN_MS * 3);
  }
}

// -- several runs overlaid ----------------------------------------------------------------------
async function comparePage(v, ids) {
  const main = document.getElementById("view");
  setCrumbs({text: "Runs", href: "#/"}, {text: `compare ${ids.length} runs`});
  document.title = "fitwatch · compare";
  const plotlyReady = loadPlotly();
  await ensureStyle();
  const state = {ids, data: null, logOn: prefs.log === true, timer: null};
  const {bar, log} = controls(
    async () => { await loadCompare(v, state); },
    async (on) => { state.logOn = on; await loadCompare(v, state); });
  const legend = el("div", {class: "card compare-runs", id: "compare-runs"});
  const plots = el("div", {class: "plots compare", id: "plots"});
  main.replaceChildren(bar, legend, plots);
  await plotlyReady;
  if (prefs.log === null) {  // automatic: look at the losses first
    const first = await api(`/api/compare?ids=${ids.join(",")}&smooth=${prefs.smooth}`);
    state.logOn = autoLog(first.runs.flatMap((r) => r.series.filter((s) => s.metric === "loss")));
  }
  log.checked = state.logOn;
  await loadCompare(v, state);
  if (!v.alive) return;
  ready(main, "compare");
}

async function loadCompare(v, state) {
  const data = await api(`/api/compare?ids=${state.ids.join(",")}&smooth=${prefs.smooth}`);
  if (!v.alive) return;
  state.data = data;
  const legend = document.getElementById("compare-runs");
  legend.replaceChildren(el("table", {class: "runs compact"},
    el("thead", {}, el("tr", {}, ["", "Run", "Status", "Epochs", "Best val loss", "Verdict"].map((h, i) =>
      el("th", {class: i === 3 || i === 4 ? "num" : null}, h)))),
    el("tbody", {}, data.runs.map((r) => {
      const sw = el("span", {class: "swatch"}); sw.style.background = r.color;
      return el("tr", {}, el("td", {}, sw), el("td", {class: "name"}, el("a", {href: `#/run/${r.id}`}, r.name)),
        el("td", {}, statusPill(r.status)), el("td", {class: "num"}, r.epochs),
        el("td", {class: "num"}, r.best_val_loss === null ? "–" : `${fmt(r.best_val_loss)} @ ${r.best_epoch}`),
        el("td", {}, badge(r.verdict), r.annotations.onset_epoch === null ? null
          : el("span", {class: "muted"}, ` from epoch ${r.annotations.onset_epoch}`)));
    }))),
    el("p", {class: "note"}, "One colour a run; validation solid, training dashed; a dot marks each run's best epoch, " +
       "a dashed vertical line (and an open diamond on its validation loss) the epoch it starts overfitting."));
  const metrics = [];
  for (const r of data.runs) for (const s of r.series) if (!metrics.includes(s.metric)) metrics.push(s.metric);
  metrics.sort((a, b) => (a === "loss" ? -1 : b === "loss" ? 1 : a < b ? -1 : 1));
  const plots = document.getElementById("plots");
  const jobs = [];
  for (const metric of metrics) {
    const pid = panelId("cmp", metric);
    let div = document.getElementById(pid);
    if (!div) {
      div = el("div", {class: "plot", id: pid});
      plots.appendChild(el("div", {class: "panel" + (metric === "loss" ? " main loss-panel" : "")}, div));
    }
    const mine = data.runs.flatMap((r) => r.series.filter((x) => x.metric === metric));
    const layout = baseLayout(plotText(metricTitle(metric)), "epoch", metric === "loss" && state.logOn ? logAxis(mine) : null);
    epochTicks(layout, mine);
    const traces = [];
    for (const r of data.runs) {
      for (const s of r.series.filter((x) => x.metric === metric)) {
        const dash = (STYLE.split_dash && STYLE.split_dash[s.split]) || "dot";
        traces.push(...lineTraces(s, {name: `${r.name} · ${s.split}`, color: r.color, dash, group: `${r.id}-${s.key}`}));
        if (metric === "loss" && s.split === "val") {
          const m = bestMarker(s, r.best_epoch, r.color, `${r.name}: best epoch ${r.best_epoch}`);
          const onset = r.annotations.onset_epoch;  // hovering its epoch names it too
          const o = bestMarker(s, onset, r.color, `${r.name}: overfitting from epoch ${onset}`, "onset",
                               {size: 8, symbol: "diamond-open", color: r.color, line: {width: 1.5}});
          traces.push(...[m, o].filter(Boolean));
        }
      }
    }
    onsetLines(layout, data.runs);
    layout.legend = {orientation: "v", x: 1.01, xanchor: "left", y: 1, font: {size: 11}};
    layout.margin.r = 10;
    div.dataset.traces = String(traces.length);
    jobs.push(Plotly.react(div, traces, layout, PLOT_CONFIG));
  }
  await Promise.all(jobs);
  clearTimeout(state.timer);  // one polling chain, however many redraws the controls asked for
  if (data.runs.some((r) => r.status === "running")) {
    state.timer = setTimeout(() => v.alive && loadCompare(v, state).catch((e) => banner(e.message)), POLL_LIST_MS);
    v.timers.push(state.timer);
  }
}

function onsetLines(layout, runs) {
  // Each run's overfitting onset as a thin dashed vertical line in its colour, with a legend entry
  // naming the run and the epoch; runs without an onset get nothing. Not the run page's shaded band:
  // several translucent bands overlap into one muddy block whose colours mix (which run is which?)
  // and whose right edges (each run's last epoch) mean nothing, while up to 20 thin lines stay
  // distinct, and a click on a legend entry hides one.
  for (const r of runs) {
    const e = r.annotations ? r.annotations.onset_epoch : null;
    if (e === null || e === undefined) continue;
    layout.shapes.push({type: "line", xref: "x", yref: "paper", x0: e, x1: e, y0: 0, y1: 1, layer: "below",
                        line: {color: r.color, width: 1.2, dash: "dash"},
                        name: plotText(`${r.name} · overfitting from epoch ${e}`), showlegend: true,
                        legendgroup: `${r.id}-onset`});
  }
}

// -- the sweep: each run's best validation loss against one config value ---------------------------
async function sweepPage(v, key) {
  const main = document.getElementById("view");
  setCrumbs({text: "Runs", href: "#/"}, {text: "sweep"});
  document.title = "fitwatch · sweep";
  const plotlyReady = loadPlotly();
  await ensureStyle();
  const state = {key, tag: listState.tag, log: null};
  const keySelect = el("select", {id: "sweep-key", "aria-label": "the config key on the x axis"});
  const tagSelect = el("select", {id: "sweep-tag", "aria-label": "only the runs with this tag"});
  const log = el("input", {type: "checkbox", id: "sweep-log"});
  const logLabel = el("label", {class: "ctl toggle", title: "logarithmic x axis (learning rates, weight decays)"}, log, "Log x");
  const plot = el("div", {class: "plot", id: "sweep-plot"});
  const left = el("p", {class: "note", id: "sweep-left-out"});
  main.replaceChildren(
    el("div", {class: "controls"}, el("label", {class: "ctl"}, "Config key", keySelect),
       el("label", {class: "ctl"}, "Tag", tagSelect), logLabel),
    el("div", {class: "plots"}, el("div", {class: "panel main"}, plot)), left,
    el("p", {class: "note hint"}, "One point a run: its best validation loss against the value of the chosen " +
       "config key. Hover for the run, click to open it."));
  const go = async () => {
    const q = new URLSearchParams({key: state.key || "", tag: state.tag || ""});
    const data = await api(`/api/sweep?${q}`);
    if (!v.alive) return;
    state.key = data.key;
    if (location.hash !== `#/sweep/${encodeURIComponent(data.key)}` && data.key) {
      history.replaceState(null, "", `#/sweep/${encodeURIComponent(data.key)}`);
    }
    keySelect.replaceChildren(...data.keys.map((k) => el("option", {value: k.key},
      `${k.key} (${k.kind === "numeric" ? "number" : "category"}, ${k.runs} run${k.runs === 1 ? "" : "s"})`)));
    keySelect.value = data.key;
    const tags = listState.tags.length ? listState.tags : [...new Set(data.points.flatMap((p) => p.tags))];
    tagSelect.replaceChildren(el("option", {value: ""}, "All runs"), ...tags.map((t) => el("option", {value: t}, t)));
    tagSelect.value = state.tag || "";
    if (state.logKey !== data.key) { state.log = null; state.logKey = data.key; }  // a new key: automatic again
    log.checked = (state.log === null ? data.log_x : state.log) && data.kind === "numeric";
    log.disabled = data.kind !== "numeric";
    left.textContent = data.left_out.length
      ? `Not plotted: ${data.left_out.map((r) => `${r.name} (${r.why})`).join("; ")}.` : "";
    await plotlyReady;
    if (!v.alive) return;
    await drawSweep(plot, data, log.checked);
    ready(main, "sweep");
  };
  keySelect.addEventListener("change", () => { state.key = keySelect.value; go().catch((e) => banner(e.message)); });
  tagSelect.addEventListener("change", () => { state.tag = tagSelect.value; go().catch((e) => banner(e.message)); });
  log.addEventListener("change", () => { state.log = log.checked; go().catch((e) => banner(e.message)); });
  if (!listState.tags.length) {  // the tags of every run, not only of the plotted ones
    try { listState.tags = (await api("/api/runs")).tags || []; } catch (e) { /* the sweep says what failed */ }
  }
  await go();
}

async function drawSweep(div, data, logX) {
  const color = (STYLE.split_colors && STYLE.split_colors.val) || "#1f77b4";
  const pts = data.points;
  const layout = baseLayout(plotText(`best val loss by ${data.key || "config"}`), plotText(data.key || ""), null);
  layout.hovermode = "closest";
  layout.showlegend = false;
  layout.yaxis.title = {text: "best val loss", standoff: 6};
  if (data.kind === "numeric") Object.assign(layout.xaxis, logX ? {type: "log", exponentformat: "power"} : {type: "linear"});
  else {
    const order = [...new Set([...pts].sort((a, b) => a.best_val_loss - b.best_val_loss).map((p) => p.value))];
    Object.assign(layout.xaxis, {type: "category", categoryorder: "array", categoryarray: order});
  }
  layout.uirevision = `${data.key}-${logX}`;
  const trace = {x: pts.map((p) => p.value), y: pts.map((p) => p.best_val_loss), type: "scatter", mode: "markers",
                 name: "runs", text: pts.map((p) => plotText(p.name)), customdata: pts.map((p) => [p.id, p.best_epoch]),
                 marker: {size: 10, color, opacity: 0.85, line: {color: "#fff", width: 1}},
                 hovertemplate: `<b>%{text}</b><br>${plotText(data.key)} = %{x}<br>best val loss %{y:.4g} ` +
                                "at epoch %{customdata[1]}<extra></extra>"};
  div.dataset.points = String(pts.length);
  await Plotly.react(div, [trace], layout, PLOT_CONFIG);
  if (!div.dataset.clicks) {
    div.dataset.clicks = "1";
    div.on("plotly_click", (e) => { const p = e.points && e.points[0]; if (p) location.hash = `#/run/${p.customdata[0]}`; });
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);
