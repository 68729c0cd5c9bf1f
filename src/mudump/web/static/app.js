// mudump reach explorer: the page. It computes no physics: every number drawn comes from the
// JSON API of mudump.web.app (which calls the library). The experiment form is built from the
// experiment's JSON schema (/api/schema/experiment), so new schema fields appear by themselves.
"use strict";
// production methods in words (mudump.production.METHOD_NAMES)
const METHOD_NAMES = { etl: "exact tree level", ww: "phase-space WW", iww: "improved WW" };

const COLOURS = ["#0072B2", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]; // as mudump.plotting
const DASHES = ["solid", "dash", "dashdot", "dot"];
const G2_COLOUR = "#009E73";
const FILL_ALPHA = 0.15;
const DEBOUNCE_MS = 120;

const state = {
  schema: null, presets: [], models: [], g2presets: null, materials: [],
  doc: null,           // the experiment document of the chosen preset (the form starts from it)
  last: null,          // last good reach payload (drawn)
  previous: null,      // the one before (drawn as a grey ghost, to see the contour move)
  lastBody: null,      // the request body of the last good plot (downloads use it)
  seq: 0, controller: null, timer: null, revision: 0, pointTimer: null,
};
window.mudumpExplorer = state; // for tests and the curious

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, children = []) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v; else if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

// ------------------------------------------------------------------------------------------
// the form, from the JSON schema

function resolve(schema, prop) {
  // {$ref} / {anyOf: [X, {type: null}]} / {allOf: [{$ref}]} -> [resolved schema, nullable]
  let nullable = false;
  let p = prop;
  if (p.anyOf) {
    const nonNull = p.anyOf.filter((x) => x.type !== "null");
    nullable = nonNull.length < p.anyOf.length;
    p = { ...p, ...nonNull[0] }; delete p.anyOf;
  }
  if (p.allOf && p.allOf.length === 1) p = { ...p, ...p.allOf[0] };
  if (p.$ref) {
    const name = p.$ref.split("/").pop();
    p = { ...schema.$defs[name], ...Object.fromEntries(Object.entries(p).filter(([k]) => k !== "$ref")) };
  }
  return [p, nullable];
}

function labelOf(key) {
  // energy_GeV -> "energy [GeV]", length_m -> "length [m]", muons_on_target -> "muons on target"
  const m = key.match(/^(.*)_(GeV|MeV|m|cm|mm|s)$/);
  const base = (m ? m[1] : key).replace(/_/g, " ");
  return m ? `${base} [${m[2]}]` : base;
}

function boundsHint(p) {
  const parts = [];
  if (p.exclusiveMinimum !== undefined) parts.push(`> ${p.exclusiveMinimum === 0 ? 0 : +p.exclusiveMinimum.toPrecision(4)}`);
  if (p.minimum !== undefined) parts.push(`≥ ${p.minimum}`);
  if (p.exclusiveMaximum !== undefined) parts.push(`< ${p.exclusiveMaximum}`);
  if (p.maximum !== undefined) parts.push(`≤ ${p.maximum}`);
  return parts.join(", ");
}

function showValue(v) {
  // numbers as a person types them: 1e14 rather than 100000000000000
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential().replace("e+", "e") : String(v);
}

function fieldFor(path, key, p, nullable, value) {
  const id = "f-" + path.replace(/\./g, "-");
  const wrap = el("div", { class: "field", "data-path": path });
  wrap.append(el("label", { for: id, text: labelOf(key), title: p.description || p.title || key }));
  let input;
  const kind = p.const !== undefined ? "const" : p.enum ? "enum" : (p.type === "number" || p.type === "integer") ? "number" : "string";
  if (kind === "enum") {
    input = el("select", { id });
    if (nullable) input.append(el("option", { value: "", text: "(none)" }));
    for (const v of p.enum) input.append(el("option", { value: v, text: v }));
    input.value = value ?? (p.default ?? "");
  } else {
    input = el("input", { id, type: "text", autocomplete: "off", spellcheck: "false" });
    if (kind === "number") input.setAttribute("inputmode", "decimal");
    if (kind === "const") { input.readOnly = true; }
    if (key.endsWith("material")) input.setAttribute("list", "materials");
    input.value = value === undefined || value === null ? "" : showValue(value);
  }
  input.dataset.path = path; input.dataset.kind = kind; input.dataset.nullable = nullable ? "1" : "";
  input.dataset.hasDefault = p.default !== undefined ? "1" : "";
  wrap.append(input);
  const hint = [p.description, boundsHint(p), nullable ? "optional" : ""].filter(Boolean).join(" · ");
  if (hint) wrap.append(el("div", { class: "hint", text: hint }));
  wrap.append(el("div", { class: "msg", "data-for": "experiment." + path }));
  return wrap;
}

function buildExperimentForm(doc) {
  const root = $("#experiment-form");
  root.replaceChildren();
  const s = state.schema;
  const about = el("details", {}, [el("summary", { text: "name and label" })]);
  for (const [key, prop] of Object.entries(s.properties)) {
    const [p, nullable] = resolve(s, prop);
    if (p.type === "object" || p.properties) {
      const sec = el("div", { class: "subsection" }, [el("h3", { text: p.title || key, title: p.description || "" })]);
      for (const [k2, prop2] of Object.entries(p.properties)) {
        const [p2, n2] = resolve(s, prop2);
        sec.append(fieldFor(`${key}.${k2}`, k2, p2, n2, doc?.[key]?.[k2]));
      }
      root.append(sec);
    } else {
      about.append(fieldFor(key, key, p, nullable, doc?.[key]));
    }
  }
  root.prepend(about);
}

function numberOrString(text) {
  const t = text.trim();
  // a plain decimal or scientific number becomes a number; anything else is sent as typed and
  // the server's validation (the experiment schema) refuses it with a message
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : t;
}

function collectExperiment() {
  const doc = {};
  for (const input of document.querySelectorAll("#experiment-form [data-path]")) {
    if (input.classList.contains("field")) continue;
    const raw = input.value;
    const path = input.dataset.path.split(".");
    let v;
    if (input.dataset.kind === "number") {
      if (raw.trim() === "") { if (input.dataset.nullable || input.dataset.hasDefault) continue; v = null; } else v = numberOrString(raw);
    } else {
      if (raw === "" && (input.dataset.nullable || input.dataset.hasDefault)) continue;
      v = raw;
    }
    let o = doc;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {});
    o[path[path.length - 1]] = v;
  }
  return doc;
}

const GRID_FIELDS = [
  ["mass_min_GeV", "lowest mass [GeV]"], ["mass_max_GeV", "highest mass [GeV]"], ["n_masses", "masses (log-spaced)"],
  ["coupling_min", "lowest g_mu"], ["coupling_max", "highest g_mu"], ["n_couplings", "couplings (log-spaced)"],
];
const GRID_DEFAULTS = { mass_min_GeV: 1e-3, mass_max_GeV: 1, n_masses: 100, coupling_min: 1e-8, coupling_max: 1, n_couplings: 200 };

function buildGridForm() {
  const root = $("#grid-form");
  for (const [key, label] of GRID_FIELDS) {
    const id = "g-" + key;
    const input = el("input", { id, type: "text", inputmode: "decimal", "data-grid": key });
    input.value = String(GRID_DEFAULTS[key]);
    root.append(el("div", { class: "field", "data-path": key }, [el("label", { for: id, text: label }), input, el("div", { class: "msg", "data-for": key })]));
  }
}

function requestBody() {
  const body = {
    experiment: collectExperiment(),
    models: [...document.querySelectorAll("#model-checks input:checked")].map((x) => x.value),
    method: $("#method").value,
    form_factor: $("#form_factor").value,
    compare: $("#compare").value || null,
    theory_band: $("#theory_band").checked,
    preset: $("#g2preset").value || null,
  };
  for (const input of document.querySelectorAll("#grid-form input")) body[input.dataset.grid] = numberOrString(input.value);
  return body;
}

// ------------------------------------------------------------------------------------------
// talking to the server

function clearErrors() {
  for (const m of document.querySelectorAll(".msg")) m.textContent = "";
  for (const i of document.querySelectorAll(".invalid")) i.classList.remove("invalid");
  $("#error").hidden = true;
}

function showErrors(err, scope = "") {
  clearErrors();
  let placed = 0;
  for (const f of err.fields || []) {
    const name = scope + f.field;
    const msg = document.querySelector(`.msg[data-for="${CSS.escape(name)}"]`);
    if (msg) {
      msg.textContent = f.message;
      const input = msg.parentElement.querySelector("input, select");
      if (input) input.classList.add("invalid");
      placed++;
    }
  }
  if (!placed) { $("#error").textContent = err.error; $("#error").hidden = false; }
  setStatus("error", err.error + (state.last ? " (the plot shows the last valid setup)" : ""));
}

function setStatus(kind, text) {
  $("#status").dataset.state = kind;
  $("#status").textContent = text;
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(update, DEBOUNCE_MS);
}

async function update() {
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();
  const ctrl = new AbortController();
  state.controller = ctrl;
  const body = requestBody();
  const t0 = performance.now();
  setStatus("computing", "computing…");
  const bar = $("#progress");
  let resp;
  try {
    resp = await fetch("/api/reach/stream", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: ctrl.signal,
    });
    if (!resp.ok) {
      const err = await resp.json().catch(() => ({ error: `HTTP ${resp.status}`, fields: [] }));
      if (seq === state.seq) showErrors(err);
      return;
    }
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        if (!line.trim() || seq !== state.seq) continue;
        const msg = JSON.parse(line);
        if (msg.progress) {
          const [d, n] = msg.progress;
          if (d < n && performance.now() - t0 > 150) {
            bar.hidden = false; bar.max = n; bar.value = d;
            setStatus("computing", `computing production tables… ${Math.round(100 * d / n)}%`);
          }
        } else if (msg.result) {
          bar.hidden = true;
          clearErrors();
          state.previous = state.last;
          state.last = msg.result;
          state.lastBody = body;
          draw();
          schedulePoint(); // the spectrum follows the edited experiment
          const ms = performance.now() - t0;
          setStatus("ready", `updated in ${ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(1) + " s"}`);
        } else if (msg.error) {
          bar.hidden = true;
          showErrors(msg);
        }
      }
    }
  } catch (e) {
    if (e.name === "AbortError") return;
    if (seq === state.seq) { bar.hidden = true; showErrors({ error: `no answer from the server (${e.message})`, fields: [] }); }
  }
}

async function download(url, body, fallbackName) {
  const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) { showErrors(await r.json()); return; }
  const blob = await r.blob();
  const cd = r.headers.get("Content-Disposition") || "";
  const name = (cd.match(/filename="([^"]+)"/) || [])[1] || fallbackName;
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// ------------------------------------------------------------------------------------------
// drawing (Plotly, log axes, as mudump.plotting.reach_figure)

function rgba(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function fmt(x) { return Number(x).toPrecision(3); }

function motText(n) {
  const e = Math.floor(Math.log10(n)); const m = n / 10 ** e;
  return Math.abs(m - 1) < 1e-9 ? `10<sup>${e}</sup>` : `${+m.toPrecision(3)}×10<sup>${e}</sup>`;
}

function edgeSpread(results, which) {
  // per mass: min and max over results of the first interval's lower (which=0) or last interval's upper edge
  const masses = results[0].masses_GeV;
  const lo = [], hi = [], xs = [];
  masses.forEach((m, i) => {
    const vals = results.map((r) => r.intervals[i]).filter((iv) => iv && iv.length)
      .map((iv) => (which === 0 ? iv[0][0] : iv[iv.length - 1][1]));
    if (vals.length === results.length) { xs.push(m); lo.push(Math.min(...vals)); hi.push(Math.max(...vals)); }
  });
  return { xs, lo, hi };
}

function g2Traces(b, top) {
  const tiny = 1e-12;
  const x = b.m_S_GeV;
  const clip = (a) => a.map((v) => Math.max(v, tiny));
  if (b.anomalous) {
    const band = (lo, hi, alpha, name, show) => [
      { x, y: clip(lo), mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: "g2" },
      { x, y: hi, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: rgba(G2_COLOUR, alpha), hoverinfo: "skip",
        name, showlegend: show, legendgroup: "g2" },
    ];
    return [
      ...band(b.lo2, b.hi2, 0.18, `(g−2)<sub>μ</sub> ±1,2σ: ${b.label}`, true),
      ...band(b.lo1, b.hi1, 0.40, "", false),
      { x, y: b.central, mode: "lines", line: { color: G2_COLOUR, width: 1.2 }, name: "(g−2)<sub>μ</sub> central", showlegend: false,
        legendgroup: "g2", hovertemplate: "(g−2) central: g<sub>μ</sub> = %{y:.3g}<extra></extra>" },
    ];
  }
  return [
    { x, y: b.upper_limit, mode: "lines", line: { color: "#737373", width: 1.2 }, showlegend: false, legendgroup: "g2",
      hovertemplate: "(g−2) limit: g<sub>μ</sub> < %{y:.3g}<extra></extra>" },
    { x, y: x.map(() => top), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: "rgba(0,0,0,0)",
      fillpattern: { shape: "/", fgcolor: "#8c8c8c", size: 8, solidity: 0.15 }, hoverinfo: "skip",
      name: `(g−2)<sub>μ</sub> excluded (2σ): ${b.label}`, legendgroup: "g2" },
  ];
}

function contourTraces(contours, colour, dash, name, group, fill, width = 1.6) {
  return contours.map((c, k) => ({
    x: c.m_S_GeV, y: c.g_mu, mode: "lines", line: { color: colour, dash, width },
    fill: fill ? "toself" : "none", fillcolor: rgba(colour, FILL_ALPHA), hoverinfo: "skip",
    name, legendgroup: group, showlegend: k === 0, meta: group,
  }));
}

function hoverTrace(r, colour, label) {
  const x = [], y = [], text = [];
  r.masses_GeV.forEach((m, i) => {
    const iv = r.intervals[i];
    if (!iv || !iv.length) return;
    x.push(m); y.push(iv[0][0]);
    text.push(iv.map(([a, b]) => `${fmt(a)} – ${fmt(b)}`).join(", "));
  });
  return { x, y, customdata: text, mode: "markers", marker: { size: 7, color: colour, opacity: 0 }, showlegend: false,
    name: `reach ${label}`, meta: `hover-${r.model}`,
    hovertemplate: `model ${label}: g<sub>μ</sub> excluded %{customdata}<extra></extra>` };
}

function draw() {
  const P = state.last;
  const results = P.results;
  const traces = [];
  const mixed = results.length > 1;
  const lows = results.flatMap((r) => r.intervals.flatMap((iv) => iv.map((p) => p[0])));
  const gMin = state.lastBody.coupling_min, gMax = state.lastBody.coupling_max;
  const low = lows.length ? Math.min(...lows) : 1e-4;
  const yLo = Math.max(gMin, 10 ** Math.floor(Math.log10(low) - 1.5));
  let yHi = lows.length ? Math.min(gMax, Math.max(1e-1, 10 ** Math.ceil(Math.log10(Math.max(...lows)) + 1))) : gMax;
  if (yHi <= yLo) yHi = gMax;
  traces.push(...g2Traces(P.g2, 10 * yHi));
  if (state.previous && JSON.stringify(state.previous.experiment) !== JSON.stringify(P.experiment)) {
    for (const r of state.previous.results) {
      traces.push(...contourTraces(r.contours, "#9aa1ab", "dot", "previous setup", "previous", false, 1.2));
    }
  }
  const exp = P.experiment;
  const legendBase = `${P.legend.replace(/\$|\\/g, "").replace(/mu/g, "μ")} (${motText(exp.beam.muons_on_target)} μ)`;
  results.forEach((r, k) => {
    const colour = COLOURS[k % COLOURS.length];
    const dash = DASHES[k % DASHES.length];
    const name = legendBase + (mixed ? `, model ${r.model_label}` : "");
    if (r.band) {
      const all = [r, ...r.band.map((b) => ({ masses_GeV: r.masses_GeV, intervals: b.intervals }))];
      for (const which of [0, 1]) {
        const s = edgeSpread(all, which);
        traces.push({ x: s.xs, y: s.lo, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false });
        traces.push({ x: s.xs, y: s.hi, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: rgba(colour, 0.45),
          hoverinfo: "skip", name: "theory spread (etl/ww × tsai/helm)", showlegend: which === 0 && k === 0, legendgroup: "spread" });
      }
    }
    traces.push(...contourTraces(r.contours, colour, dash, name, `model-${r.model}`, true));
    if (r.compare) traces.push(...contourTraces(r.compare.contours, colour, "dash", `${r.compare.method.toUpperCase()}${mixed ? `, model ${r.model}` : ""} (older studies)`, `compare-${r.model}`, false, 1.1));
    traces.push(hoverTrace(r, colour, r.model_label));
  });
  const title = mixed ? `Models ${results.map((r) => r.model_label).join(", ")}` : `Model ${results[0].model_label}: ${results[0].model_description}`;
  const methods = [...new Set(results.map((r) => r.method))].join(", ");
  const layout = {
    title: { text: title.replace(/g_mu/g, "g<sub>μ</sub>").replace(/m_mu/g, "m<sub>μ</sub>").replace(/g_l/g, "g<sub>ℓ</sub>").replace(/m_l/g, "m<sub>ℓ</sub>"), font: { size: 15 } },
    xaxis: { type: "log", title: { text: "m<sub>S</sub> [GeV]" }, range: [Math.log10(state.lastBody.mass_min_GeV), Math.log10(state.lastBody.mass_max_GeV)], hoverformat: ".3g",
      showline: true, mirror: "ticks", ticks: "inside", exponentformat: "power", gridcolor: "#eceff3" },
    yaxis: { type: "log", title: { text: "g<sub>μ</sub>" }, range: [Math.log10(yLo), Math.log10(yHi)],
      showline: true, mirror: "ticks", ticks: "inside", exponentformat: "power", gridcolor: "#eceff3" },
    hovermode: "x unified",
    // below the axes, so that it never covers a contour
    legend: { orientation: "h", x: 0, y: -0.14, xanchor: "left", yanchor: "top", font: { size: 12 } },
    margin: { l: 70, r: 20, t: 50, b: 40 },
    annotations: [{ xref: "paper", yref: "paper", x: 0.99, y: 0.99, xanchor: "right", yanchor: "top", showarrow: false,
      align: "right", font: { size: 12, color: "#4d4d4d" },
      text: `production: ${methods.split(", ").map((m) => METHOD_NAMES[m] || m).join(", ")}<br>${+(100 * results[0].cl).toPrecision(4)}% CL, N<sub>up</sub> = ${fmt(P.signal_events_limit)}` }],
    uirevision: "reach",
    paper_bgcolor: "#fff", plot_bgcolor: "#fff",
  };
  Plotly.react("plot", traces, layout, { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage", "select2d", "lasso2d"] });
  if (!state.clickBound) {
    state.clickBound = true;
    $("#plot").on("plotly_click", (ev) => {
      const pt = ev.points && ev.points[0];
      if (pt) { $("#pt-mass").value = (+pt.x).toPrecision(3); schedulePoint(); }
    });
  }
  state.revision += 1;
  $("#plot").dataset.revision = String(state.revision);
}

// ------------------------------------------------------------------------------------------
// one point: spectrum and decay length

function schedulePoint() { clearTimeout(state.pointTimer); state.pointTimer = setTimeout(updatePoint, 200); }

async function updatePoint() {
  const mass = numberOrString($("#pt-mass").value), coupling = numberOrString($("#pt-coupling").value);
  const model = $("#pt-model").value;
  const base = { model, mass_GeV: mass, coupling };
  for (const m of document.querySelectorAll("#point .msg")) m.textContent = "";
  const post = (url, body) => fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const [rs, rd] = await Promise.all([
    post("/api/spectrum", { ...base, experiment: (state.lastBody || requestBody()).experiment, method: $("#method").value, bins: 30 }),
    post("/api/decay-length", base),
  ]);
  for (const r of [rs, rd]) {
    if (!r.ok) {
      const err = await r.json();
      const f = (err.fields || [])[0];
      const slot = f && document.querySelector(`#point .msg[data-for="pt.${CSS.escape(f.field)}"]`);
      if (slot) slot.textContent = f.message; else $("#point .msg").textContent = err.error;
      return;
    }
  }
  const S = await rs.json(), D = await rd.json();
  const edges = S.bin_edges_GeV;
  const xs = [], ys = [];
  S.events.forEach((v, i) => { xs.push(edges[i], edges[i + 1]); ys.push(v, v); });
  const small = { margin: { l: 60, r: 10, t: 36, b: 45 }, font: { size: 11 }, showlegend: false, paper_bgcolor: "#fff", plot_bgcolor: "#fff" };
  const pos = S.events.filter((v) => v > 0);
  Plotly.react("spectrum-plot", [{ x: xs, y: ys, mode: "lines", line: { color: COLOURS[0], width: 1.5 },
    hovertemplate: "E<sub>S</sub> = %{x:.3g} GeV: %{y:.3g} events<extra></extra>" }],
  { ...small, title: { text: `signal spectrum: ${fmt(S.total_events)} events in total`, font: { size: 12 } },
    xaxis: { title: { text: "E<sub>S</sub> [GeV]" } }, yaxis: { title: { text: `events / (${fmt(edges[1] - edges[0])} GeV)` }, type: pos.length ? "log" : "linear", exponentformat: "power" } },
  { displaylogo: false, responsive: true });
  Plotly.react("decay-plot", [{ x: D.E_S_GeV, y: D.decay_length_m, mode: "lines", line: { color: COLOURS[1], width: 1.5 },
    hovertemplate: "E<sub>S</sub> = %{x:.3g} GeV: %{y:.3g} m<extra></extra>" }],
  { ...small, title: { text: `mean lab decay length (cτ = ${fmt(D.ctau_m)} m)`, font: { size: 12 } },
    xaxis: { type: "log", title: { text: "E<sub>S</sub> [GeV]" }, exponentformat: "power" },
    yaxis: { type: "log", title: { text: "decay length [m]" }, exponentformat: "power" } },
  { displaylogo: false, responsive: true });
}

// ------------------------------------------------------------------------------------------
// start

async function loadPreset(name) {
  state.doc = await getJSON(`/api/experiments/${encodeURIComponent(name)}`);
  $("#preset").value = name;
  const p = state.presets.find((x) => x.name === name);
  $("#preset-description").textContent = p ? `${p.description} (${p.source})` : "";
  buildExperimentForm(state.doc);
  clearErrors();
  schedule();
  schedulePoint();
}

async function init() {
  const [schema, exps, models, methods, g2, mats] = await Promise.all([
    getJSON("/api/schema/experiment"), getJSON("/api/experiments"), getJSON("/api/models"),
    getJSON("/api/methods"), getJSON("/api/g2/presets"), getJSON("/api/materials"),
  ]);
  state.schema = schema; state.presets = exps.presets; state.models = models.models;
  const dl = el("datalist", { id: "materials" });
  for (const m of mats.presets) dl.append(el("option", { value: m }));
  document.body.append(dl);
  for (const p of exps.presets) $("#preset").append(el("option", { value: p.name, text: p.label ? `${p.name} — ${p.label.replace(/\$|\\/g, "").replace(/mu/g, "μ")}` : p.name }));
  models.models.forEach((m, k) => {
    const box = el("input", { type: "checkbox", value: m.name });
    box.checked = k === 0;
    $("#model-checks").append(el("label", { title: m.description }, [box, `${m.label}`]));
    $("#pt-model").append(el("option", { value: m.name, text: m.label }));
  });
  for (const m of methods.methods) {
    $("#method").append(el("option", { value: m.name, text: `${m.name}: ${m.description}` }));
  }
  $("#method").value = methods.default;
  $("#compare").append(el("option", { value: "", text: "none" }));
  for (const m of methods.methods) $("#compare").append(el("option", { value: m.name, text: m.name }));
  for (const f of methods.form_factors) $("#form_factor").append(el("option", { value: f, text: f }));
  $("#form_factor").value = methods.default_form_factor;
  for (const p of g2.presets) $("#g2preset").append(el("option", { value: p.name, text: `${p.name}: ${p.label}` }));
  $("#g2preset").value = g2.default;
  buildGridForm();

  $("#preset").addEventListener("change", (e) => loadPreset(e.target.value));
  $("#controls").addEventListener("input", (e) => { if (e.target.id !== "preset") schedule(); });
  $("#controls").addEventListener("change", (e) => { if (e.target.id !== "preset" && e.target.tagName !== "INPUT") schedule(); });
  for (const id of ["#pt-mass", "#pt-coupling", "#pt-model"]) $(id).addEventListener("input", schedulePoint);
  $("#pt-model").addEventListener("change", schedulePoint);
  $("#dl-csv").addEventListener("click", () => state.lastBody && download("/api/reach.csv", state.lastBody, "reach.csv"));
  $("#dl-png").addEventListener("click", () => state.lastBody && download("/api/reach.png", state.lastBody, "reach.png"));
  $("#dl-toml").addEventListener("click", () => download("/api/experiment.toml", { experiment: collectExperiment() }, "experiment.toml"));
  await loadPreset(exps.presets.find((p) => p.name === "fnal-mu") ? "fnal-mu" : exps.presets[0].name);
}

init().catch((e) => setStatus("error", `could not start: ${e.message}`));
