// mudump reach explorer: the page. It computes no physics: every number drawn comes from the
// JSON API of mudump.web (which calls the library). The experiment form is built from the
// experiment's JSON schema (/api/schema/experiment), so new schema fields appear by themselves.
// The whole state of the page is kept in the URL (#s=...), so a link restores it.
"use strict";
// production methods in words (mudump.production.METHOD_NAMES)
const METHOD_NAMES = { etl: "exact tree level", ww: "phase-space WW", iww: "improved WW" };

const COLOURS = ["#0072B2", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]; // as mudump.plotting
const DASHES = ["solid", "dash", "dashdot", "dot"];
const G2_COLOUR = "#009E73";
const FILL_ALPHA = 0.15;
const OVERLAY_GREYS = ["#8c8c8c", "#b3b3b3", "#666666", "#cccccc"]; // as mudump.plotting (0.55, 0.7, 0.4, 0.8)
const DEBOUNCE_MS = 120;

const state = {
  schema: null, presets: [], models: [], g2presets: null, materials: [], limits: null,
  doc: null,           // the experiment document of the chosen preset (the form starts from it)
  last: null,          // last good reach payload (drawn)
  previous: null,      // the one before (drawn as a grey ghost, to see the contour move)
  lastBody: null,      // the request body of the last good plot (downloads use it)
  userModels: [],      // uploaded model files: {name, toml, label}
  overlays: [],        // uploaded overlay files: {name, toml}
  pinned: [],          // experiment documents pinned next to the edited one
  clientErrors: [],    // mistakes found before asking the server (a number that overflows)
  seq: 0, controller: null, timer: null, revision: 0, pointTimer: null, restoring: false,
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

const post = (url, body) => fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

// ------------------------------------------------------------------------------------------
// numbers: typed text to a number; shown in scientific notation

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function numberOrString(text, field) {
  const t = String(text).trim();
  // a plain decimal or scientific number becomes a number; anything else is sent as typed and
  // the server's validation refuses it with a message. A number too large for a double (1e400)
  // cannot travel in JSON: it is refused here, beside its field.
  if (!NUMBER.test(t)) return t;
  const v = Number(t);
  if (!Number.isFinite(v)) {
    state.clientErrors.push({ field, message: `${t} is out of range: it must be a finite number (at most 1.8e308)` });
    return t;
  }
  return v;
}

function sci(x, digits = 3) {
  // hover and labels: scientific notation, 3 significant digits (1.23e-4)
  const v = Number(x);
  return Number.isFinite(v) ? v.toExponential(digits - 1).replace("e+", "e") : String(x);
}

function num(x) {
  // a number in a label: plain from 0.01 to 1000 (2.30), else scientific (1.28e3)
  const v = Number(x), a = Math.abs(v);
  return a === 0 || (a >= 0.01 && a < 1000) ? String(+v.toPrecision(3)) : sci(v);
}

function showValue(v) {
  // numbers as a person types them: 1e14 rather than 100000000000000
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential().replace("e+", "e") : String(v);
}

function texToHtml(s) {
  // the legends of mudump (mathtext) as HTML: $10^{14}$ $\mu$ -> 10<sup>14</sup> μ
  return String(s).replace(/\^\{([^}]*)\}/g, "<sup>$1</sup>").replace(/\\times/g, "×").replace(/\\mu/g, "μ")
    .replace(/\\tau/g, "τ").replace(/\\ell/g, "ℓ").replace(/[$\\{}]/g, "");
}

function plainText(s) {
  return texToHtml(s).replace(/<sup>/g, "^").replace(/<\/sup>/g, "").replace(/\bmu\b/g, "μ");
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
    if (kind === "const") { input.readOnly = true; input.dataset.const = JSON.stringify(p.const); value = p.const; }
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
    if ((p.type === "object" || p.properties) && !p.properties) continue; // a table of texts (provenance): not edited here
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

function collectExperiment() {
  const doc = {};
  for (const input of document.querySelectorAll("#experiment-form [data-path]")) {
    if (input.classList.contains("field")) continue;
    const raw = input.value;
    const path = input.dataset.path.split(".");
    let v;
    if (input.dataset.kind === "const") {
      v = JSON.parse(input.dataset.const); // a fixed value of the schema (schema_version): sent as it is
    } else if (input.dataset.kind === "number") {
      if (raw.trim() === "") { if (input.dataset.nullable || input.dataset.hasDefault) continue; v = null; } else v = numberOrString(raw, "experiment." + input.dataset.path);
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
  ["coupling_min", "lowest coupling"], ["coupling_max", "highest coupling"], ["n_couplings", "couplings (log-spaced)"],
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

// ------------------------------------------------------------------------------------------
// models, extra experiments and overlays chosen at the top

function modelSpec(value) {
  // a checked model box: a preset's name, or "file:k" for the k-th uploaded model file
  if (value.startsWith("file:")) { const m = state.userModels[+value.slice(5)]; return { name: m.name, toml: m.toml }; }
  return value;
}

function addModelBox(value, label, title, checked) {
  const box = el("input", { type: "checkbox", value });
  box.checked = checked;
  $("#model-checks").append(el("label", { title }, [box, label]));
  $("#pt-model").append(el("option", { value, text: label }));
}

async function addUserModel(name, toml, checked = true) {
  const r = await post("/api/model/validate", { model: { name, toml } });
  const out = await r.json();
  if (!r.ok) { showErrors({ error: out.error, fields: [{ field: "models", message: out.error }] }); return false; }
  const k = state.userModels.length;
  state.userModels.push({ name, toml, label: out.model.name });
  addModelBox(`file:${k}`, `${out.model.name} (${name})`, `${out.model.description} — ${out.model.kind}, from the file ${name}`, checked);
  if (out.warnings.length) showWarnings(out.warnings);
  return true;
}

function renderPinned() {
  const root = $("#pinned");
  root.replaceChildren();
  state.pinned.forEach((p, k) => {
    const box = el("input", { type: "checkbox", "data-pinned": String(k) });
    box.checked = p.on !== false;
    box.addEventListener("change", () => { p.on = box.checked; schedule(); });
    const rm = el("button", { type: "button", class: "small", title: "remove", text: "×" });
    rm.addEventListener("click", () => { state.pinned.splice(k, 1); renderPinned(); schedule(); });
    root.append(el("label", { title: "pinned setup" }, [box, `${p.doc.name} (pinned)`, rm]));
  });
}

function renderOverlays() {
  const root = $("#overlay-list");
  root.replaceChildren();
  state.overlays.forEach((o, k) => {
    const rm = el("button", { type: "button", class: "small", title: "remove", text: "×" });
    rm.addEventListener("click", () => { state.overlays.splice(k, 1); renderOverlays(); schedule(); });
    root.append(el("div", { class: "overlay-item" }, [`${o.label} (${o.name}) `, rm]));
  });
}

async function addOverlay(name, toml) {
  const r = await post("/api/overlay/validate", { overlay: { name, toml } });
  const out = await r.json();
  if (!r.ok) { showErrors({ error: out.error, fields: [{ field: "overlays", message: out.error }] }); return false; }
  state.overlays.push({ name, toml, label: out.overlay.label });
  renderOverlays();
  return true;
}

function requestBody() {
  state.clientErrors = [];
  const extras = [...document.querySelectorAll("#extra-checks input:checked")].map((x) => x.value)
    .filter((name) => name !== $("#preset").value);
  const body = {
    experiment: collectExperiment(),
    experiments: [...extras, ...state.pinned.filter((p) => p.on !== false).map((p) => p.doc)],
    models: [...document.querySelectorAll("#model-checks input:checked")].map((x) => modelSpec(x.value)),
    method: $("#method").value || null,  // "": the default of each experiment's beam
    form_factor: $("#form_factor").value,
    acceptance: $("#acceptance").value,
    compare: $("#compare").value || null,
    theory_band: $("#theory_band").checked,
    preset: $("#g2preset").value || null,
    preset_e: $("#g2epreset").value || null,
    overlays: state.overlays.map((o) => ({ name: o.name, toml: o.toml })),
    constraints: [$("#constraints").checked ? "default" : "none"],
  };
  for (const input of document.querySelectorAll("#grid-form input")) body[input.dataset.grid] = numberOrString(input.value, input.dataset.grid);
  return body;
}

// ------------------------------------------------------------------------------------------
// the whole page in the URL (#s=base64url(JSON)): a link restores it

function pageState() {
  return {
    v: 1, preset: $("#preset").value, doc: collectExperiment(),
    extras: [...document.querySelectorAll("#extra-checks input:checked")].map((x) => x.value),
    pinned: state.pinned, userModels: state.userModels.map(({ name, toml }) => ({ name, toml })),
    models: [...document.querySelectorAll("#model-checks input:checked")].map((x) => x.value),
    method: $("#method").value, form_factor: $("#form_factor").value, acceptance: $("#acceptance").value,
    compare: $("#compare").value, theory_band: $("#theory_band").checked, constraints: $("#constraints").checked, g2: $("#g2preset").value, g2e: $("#g2epreset").value,
    overlays: state.overlays, grid: Object.fromEntries([...document.querySelectorAll("#grid-form input")].map((i) => [i.dataset.grid, i.value])),
    point: { model: $("#pt-model").value, mass: $("#pt-mass").value, coupling: $("#pt-coupling").value },
    lock: $("#lock-axes").checked ? state.lockedRanges : null,
  };
}

function encodeState(s) {
  const bytes = new TextEncoder().encode(JSON.stringify(s));
  let bin = ""; for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeState(text) {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

function saveState() {
  if (state.restoring) return;
  history.replaceState(null, "", "#s=" + encodeState(pageState()));
}

async function restoreState(s) {
  state.restoring = true;
  try {
    if (state.presets.some((p) => p.name === s.preset)) $("#preset").value = s.preset;
    await loadPreset($("#preset").value, s.doc);
    for (const m of s.userModels || []) await addUserModel(m.name, m.toml, false);
    for (const box of document.querySelectorAll("#model-checks input")) box.checked = (s.models || []).includes(box.value);
    if (![...document.querySelectorAll("#model-checks input")].some((b) => b.checked)) $("#model-checks input").checked = true;
    for (const box of document.querySelectorAll("#extra-checks input")) box.checked = (s.extras || []).includes(box.value);
    state.pinned = s.pinned || []; renderPinned();
    state.overlays = s.overlays || []; renderOverlays();
    for (const [id, v] of [["#method", s.method], ["#form_factor", s.form_factor], ["#acceptance", s.acceptance],
      ["#compare", s.compare], ["#g2preset", s.g2], ["#g2epreset", s.g2e]]) if (v !== undefined && v !== null) $(id).value = v;
    $("#theory_band").checked = !!s.theory_band;
    $("#constraints").checked = s.constraints !== false;
    for (const input of document.querySelectorAll("#grid-form input")) if (s.grid && s.grid[input.dataset.grid] !== undefined) input.value = s.grid[input.dataset.grid];
    if (s.point) { $("#pt-model").value = s.point.model; $("#pt-mass").value = s.point.mass; $("#pt-coupling").value = s.point.coupling; }
    if (s.lock) { $("#lock-axes").checked = true; state.lockedRanges = s.lock; }
  } finally {
    state.restoring = false;
  }
}

// ------------------------------------------------------------------------------------------
// talking to the server

function clearErrors() {
  for (const m of document.querySelectorAll(".msg")) m.textContent = "";
  for (const i of document.querySelectorAll(".invalid")) i.classList.remove("invalid");
  $("#error").hidden = true;
}

function showWarnings(list) {
  const w = $("#warnings");
  w.textContent = list.map((x) => "warning: " + x).join("\n");
  w.hidden = !list.length;
}

function showErrors(err, scope = "") {
  clearErrors();
  let placed = 0;
  for (const f of err.fields || []) {
    const name = scope + f.field;
    // the message goes beside its field, or beside the nearest enclosing one (models.1 -> models)
    let msg = null;
    for (let n = name; n && !msg; n = n.includes(".") ? n.slice(0, n.lastIndexOf(".")) : "") {
      msg = document.querySelector(`.msg[data-for="${CSS.escape(n)}"]`);
    }
    if (msg) {
      msg.textContent = f.message;
      const input = msg.parentElement.querySelector("input[type=text], select");
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
  if (state.restoring) return;
  clearTimeout(state.timer);
  state.timer = setTimeout(update, DEBOUNCE_MS);
}

async function update() {
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();
  const body = requestBody();
  if (state.clientErrors.length) {
    const e = state.clientErrors[0];
    showErrors({ error: `${e.field}: ${e.message}`, fields: state.clientErrors });
    return;
  }
  const ctrl = new AbortController();
  state.controller = ctrl;
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
            setStatus("computing", `computing… ${Math.round(100 * d / n)}%`);
          }
        } else if (msg.result) {
          bar.hidden = true;
          clearErrors();
          state.previous = state.last;
          state.last = msg.result;
          state.lastBody = body;
          showWarnings(msg.result.warnings || []);
          draw();
          saveState();
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

function filenameOf(cd, fallback) {
  // RFC 6266: filename* (UTF-8, percent-encoded) wins over the ASCII filename
  const star = cd.match(/filename\*=UTF-8''([^;]+)/i);
  if (star) { try { return decodeURIComponent(star[1]); } catch (e) { /* fall through */ } }
  return (cd.match(/filename="([^"]+)"/) || [])[1] || fallback;
}

async function download(url, body, fallbackName) {
  const r = await post(url, body);
  if (!r.ok) { showErrors(await r.json()); return; }
  const blob = await r.blob();
  const name = filenameOf(r.headers.get("Content-Disposition") || "", fallbackName);
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// ------------------------------------------------------------------------------------------
// drawing (Plotly, log axes, as mudump.plotting.reach_figure; scatter traces only)

function rgba(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
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
  // the band of the model drawn (mudump.g2.band): favoured only when the preset is anomalous
  // and the model raises a_mu; otherwise the region (g-2)_mu excludes, hatched
  const tiny = 1e-12;
  const x = b.m_S_GeV;
  const clip = (a) => a.map((v) => Math.max(v, tiny));
  if (b.favoured) {
    const band = (lo, hi, alpha, name, show) => [
      { x, y: clip(lo), mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: "g2", meta: "g2" },
      { x, y: hi, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: rgba(G2_COLOUR, alpha), hoverinfo: "skip",
        name, showlegend: show, legendgroup: "g2", meta: "g2" },
    ];
    return [
      ...band(b.lo2, b.hi2, 0.18, `(g−2)<sub>μ</sub> ±1,2σ: ${b.label}`, true),
      ...band(b.lo1, b.hi1, 0.40, "", false),
      { x, y: b.central, mode: "lines", line: { color: G2_COLOUR, width: 1.2 }, name: "(g−2)<sub>μ</sub> central", showlegend: false,
        legendgroup: "g2", meta: "g2-central", hovertemplate: "(g−2)<sub>μ</sub> central: %{y:.2e}<extra></extra>" },
    ];
  }
  const lowers = b.sign < 0 ? " (it lowers a<sub>μ</sub>)" : "";
  return [
    { x, y: b.upper_limit, mode: "lines", line: { color: "#737373", width: 1.2 }, showlegend: false, legendgroup: "g2", meta: "g2-limit",
      hovertemplate: "(g−2)<sub>μ</sub> limit: < %{y:.2e}<extra></extra>" },
    { x, y: x.map(() => top), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: "rgba(0,0,0,0)",
      fillpattern: { shape: "/", fgcolor: "#8c8c8c", size: 8, solidity: 0.15 }, hoverinfo: "skip",
      name: `(g−2)<sub>μ</sub> excluded (2σ)${lowers}: ${b.label}`, legendgroup: "g2", meta: "g2" },
  ];
}

function g2eTraces(e, top) {
  if (!e) return [];
  const x = [], y = [];
  e.m_S_GeV.forEach((m, i) => { if (e.limit[i] !== null) { x.push(m); y.push(e.limit[i]); } });
  if (!x.length) return [];
  return [
    { x, y, mode: "lines", line: { color: "#4d4d4d", width: 1, dash: "dot" }, showlegend: false, legendgroup: "g2e", meta: "g2e",
      hovertemplate: "(g−2)<sub>e</sub> limit: < %{y:.2e}<extra></extra>" },
    { x, y: x.map(() => top), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: "rgba(0,0,0,0)",
      fillpattern: { shape: "\\", fgcolor: "#595959", size: 8, solidity: 0.15 }, hoverinfo: "skip",
      name: `(g−2)<sub>e</sub> excluded (2σ): ${e.label}`, legendgroup: "g2e", meta: "g2e" },
  ];
}

function overlayTraces(list, top) {
  const out = [];
  list.forEach((ov, k) => {
    const grey = OVERLAY_GREYS[k % OVERLAY_GREYS.length];
    const name = `${ov.label} (${+(100 * ov.confidence_level).toPrecision(4)}% CL)`;
    const hover = `${ov.label}: %{y:.2e}<extra></extra>`;
    if (ov.shape === "limit") {
      out.push({ x: ov.mass_GeV, y: ov.coupling, mode: "lines", line: { color: grey, width: 1 }, showlegend: false,
        legendgroup: `ov${k}`, meta: "overlay", hovertemplate: hover });
      out.push({ x: ov.mass_GeV, y: ov.mass_GeV.map(() => top), mode: "lines", line: { width: 0 }, fill: "tonexty",
        fillcolor: rgba(grey, 0.35), name, legendgroup: `ov${k}`, meta: "overlay", hoverinfo: "skip" });
    } else {
      out.push({ x: [...ov.mass_GeV, ov.mass_GeV[0]], y: [...ov.coupling, ov.coupling[0]], mode: "lines",
        line: { color: grey, width: 1 }, fill: "toself", fillcolor: rgba(grey, 0.35), name, meta: "overlay", hovertemplate: hover });
    }
  });
  return out;
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
    text.push(iv.map(([a, b]) => `${sci(a)} – ${sci(b)}`).join(", "));
  });
  return { x, y, customdata: text, mode: "markers", marker: { size: 7, color: colour, opacity: 0 }, showlegend: false,
    name: `reach ${label}`, meta: `hover-${r.experiment_index}-${r.model}`,
    hovertemplate: `${label}: excluded %{customdata}<extra></extra>` };
}

function pointTrace() {
  const m = Number($("#pt-mass").value), g = Number($("#pt-coupling").value);
  if (!(m > 0 && g > 0 && Number.isFinite(m) && Number.isFinite(g))) return [];
  return [{ x: [m], y: [g], mode: "markers", marker: { symbol: "x-thin-open", size: 13, color: "#000", line: { width: 2, color: "#000" } },
    name: "spectrum point", showlegend: false, meta: "point",
    hovertemplate: "spectrum point: m = %{x:.3e} GeV, coupling %{y:.3e}<extra></extra>" }];
}

function currentRanges() {
  const L = document.getElementById("plot")._fullLayout;
  return L ? { x: [...L.xaxis.range], y: [...L.yaxis.range] } : null;
}

function draw() {
  const P = state.last;
  const results = P.results;
  const traces = [];
  const models = [...new Set(results.map((r) => r.model_key))];
  const mixed = models.length > 1;
  const lows = results.flatMap((r) => r.intervals.flatMap((iv) => iv.map((p) => p[0])));
  const gMin = state.lastBody.coupling_min, gMax = state.lastBody.coupling_max;
  const low = lows.length ? Math.min(...lows) : 1e-4;
  const yLo = Math.max(gMin, 10 ** Math.floor(Math.log10(low) - 1.5));
  let yHi = lows.length ? Math.min(gMax, Math.max(1e-1, 10 ** Math.ceil(Math.log10(Math.max(...lows)) + 1))) : gMax;
  if (yHi <= yLo) yHi = gMax;
  let xr = [Math.log10(state.lastBody.mass_min_GeV), Math.log10(state.lastBody.mass_max_GeV)], yr = [Math.log10(yLo), Math.log10(yHi)];
  if ($("#lock-axes").checked && state.lockedRanges) { xr = state.lockedRanges.x; yr = state.lockedRanges.y; }
  const top = 10 ** (Math.max(yr[1], Math.log10(yHi)) + 1);
  traces.push(...overlayTraces([...(P.constraints || []), ...(P.overlays || [])], top));
  traces.push(...g2Traces(P.g2, top));
  traces.push(...g2eTraces(P.g2_e, top));
  if (state.previous && JSON.stringify(state.previous.experiments) !== JSON.stringify(P.experiments)) {
    for (const r of state.previous.results.filter((x) => x.experiment_index === 0)) {
      traces.push(...contourTraces(r.outlines, "#9aa1ab", "dot", "previous setup", "previous", false, 1.2));
    }
  }
  results.forEach((r) => {
    const colour = COLOURS[r.experiment_index % COLOURS.length];
    const dash = DASHES[models.indexOf(r.model_key) % DASHES.length];
    const label = texToHtml(r.legend) + (mixed ? `, model ${r.model_label}` : "");
    if (r.band) {
      const all = [r, ...r.band.map((b) => ({ masses_GeV: r.masses_GeV, intervals: b.intervals }))];
      for (const which of [0, 1]) {
        const s = edgeSpread(all, which);
        traces.push({ x: s.xs, y: s.lo, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false });
        traces.push({ x: s.xs, y: s.hi, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: rgba(colour, 0.45),
          hoverinfo: "skip", name: "theory spread (etl/ww × tsai/helm)", showlegend: which === 0 && r === results[0], legendgroup: "spread" });
      }
    }
    const group = `exp-${r.experiment_index}-model-${r.model}`;
    traces.push(...contourTraces(r.outlines, colour, dash, label + (r.intervals.some((iv) => iv.length) ? "" : ": no reach"), group, true)
      .map((t) => ({ ...t, meta: r.experiment_index === 0 ? `model-${r.model}` : group })));
    if (r.compare) traces.push(...contourTraces(r.compare.outlines, colour, "dash", `${METHOD_NAMES[r.compare.method] || r.compare.method}${mixed ? `, model ${r.model_label}` : ""} (older studies)`, `compare-${group}`, false, 1.1));
    traces.push(hoverTrace(r, colour, plainText(r.legend) + (mixed ? `, ${r.model_label}` : "")));
  });
  traces.push(...pointTrace());
  const labels = [...new Set(results.map((r) => r.model_label))];
  const first = results[0];
  const title = mixed ? `Models ${labels.join(", ")}` : `Model ${first.model_label}: ${first.model_description}`;
  const methods = [...new Set(results.map((r) => r.method))];
  const coupling = (first.coupling_label || "g_mu").replace(/_mu/, "<sub>μ</sub>");
  const massName = first.model_kind && first.model_kind.includes("vector") ? "m<sub>X</sub>" : "m<sub>S</sub>";
  const cls = [...new Set(results.map((r) => `${+(100 * r.cl).toPrecision(4)}%`))].join(", ");
  const nups = [...new Set(results.map((r) => num(r.signal_events_limit)))].join(", ");
  const layout = {
    title: { text: title.replace(/g_mu/g, "g<sub>μ</sub>").replace(/m_mu/g, "m<sub>μ</sub>").replace(/g_l/g, "g<sub>ℓ</sub>").replace(/m_l/g, "m<sub>ℓ</sub>"), font: { size: 15 } },
    xaxis: { type: "log", title: { text: `${massName} [GeV]` }, range: xr, hoverformat: ".3e", autorange: false,
      showline: true, mirror: "ticks", ticks: "inside", exponentformat: "power", gridcolor: "#eceff3" },
    yaxis: { type: "log", title: { text: coupling }, range: yr, hoverformat: ".3e", autorange: false,
      showline: true, mirror: "ticks", ticks: "inside", exponentformat: "power", gridcolor: "#eceff3" },
    hovermode: "x unified",
    // below the axes, so that it never covers a contour
    legend: { orientation: "h", x: 0, y: -0.14, xanchor: "left", yanchor: "top", font: { size: 12 } },
    margin: { l: 70, r: 20, t: 50, b: 40 },
    annotations: [{ xref: "paper", yref: "paper", x: 0.99, y: 0.99, xanchor: "right", yanchor: "top", showarrow: false,
      align: "right", font: { size: 12, color: "#4d4d4d" },
      text: `production: ${methods.map((m) => METHOD_NAMES[m] || m).join(", ")}${first.acceptance === "mc" ? ", MC acceptance" : ""}<br>` +
        `${cls} CL, N<sub>up</sub> = ${nups} (${first.limit_method || "poisson"})` }],
    uirevision: $("#lock-axes").checked ? "locked" : JSON.stringify([xr, yr]),
    paper_bgcolor: "#fff", plot_bgcolor: "#fff",
  };
  Plotly.react("plot", traces, layout, { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage", "select2d", "lasso2d"] });
  if (!state.clickBound) {
    state.clickBound = true;
    const plot = $("#plot");
    plot.on("plotly_click", (ev) => {
      const pt = ev.points && ev.points.find((p) => String(p.data.meta || "").startsWith("hover-"));
      if (pt) { $("#pt-mass").value = sci(pt.x); $("#pt-coupling").value = sci(pt.y); schedulePoint(); drawPoint(); saveState(); }
    });
    plot.on("plotly_relayout", () => {
      if ($("#lock-axes").checked) { state.lockedRanges = currentRanges(); saveState(); }
    });
  }
  state.revision += 1;
  $("#plot").dataset.revision = String(state.revision);
}

function drawPoint() {
  // move the marker of the spectrum's point without redrawing the rest
  const plot = document.getElementById("plot");
  if (!plot.data) return;
  const k = plot.data.findIndex((t) => t.meta === "point");
  if (k >= 0) Plotly.deleteTraces(plot, k);
  const t = pointTrace();
  if (t.length) Plotly.addTraces(plot, t);
}

// ------------------------------------------------------------------------------------------
// one point: spectrum and decay length

function schedulePoint() { clearTimeout(state.pointTimer); state.pointTimer = setTimeout(updatePoint, 200); }

async function updatePoint() {
  state.clientErrors = [];
  const mass = numberOrString($("#pt-mass").value, "mass_GeV"), coupling = numberOrString($("#pt-coupling").value, "coupling");
  for (const m of document.querySelectorAll("#point .msg")) m.textContent = "";
  if (state.clientErrors.length) {
    const e = state.clientErrors[0];
    document.querySelector(`#point .msg[data-for="pt.${e.field}"]`).textContent = e.message;
    return;
  }
  drawPoint();
  const model = modelSpec($("#pt-model").value);
  const base = { model, mass_GeV: mass, coupling };
  const [rs, rd] = await Promise.all([
    post("/api/spectrum", { ...base, experiment: (state.lastBody || requestBody()).experiment, method: $("#method").value || "etl", bins: 30 }),
    post("/api/decay-length", base),
  ]);
  for (const r of [rs, rd]) {
    if (!r.ok) {
      const err = await r.json();
      const f = (err.fields || [])[0];
      const slot = f && document.querySelector(`#point .msg[data-for="pt.${CSS.escape(f.field)}"]`);
      if (slot) slot.textContent = f.message; else $("#point-msg").textContent = err.error;
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
    hovertemplate: "E<sub>S</sub> = %{x:.3e} GeV: %{y:.3e} events<extra></extra>" }],
  { ...small, title: { text: `signal spectrum at ×: ${num(S.total_events)} events in total`, font: { size: 12 } },
    xaxis: { title: { text: "E<sub>S</sub> [GeV]" } }, yaxis: { title: { text: `events / (${sci(edges[1] - edges[0])} GeV)` }, type: pos.length ? "log" : "linear", exponentformat: "power" } },
  { displaylogo: false, responsive: true });
  Plotly.react("decay-plot", [{ x: D.E_S_GeV, y: D.decay_length_m, mode: "lines", line: { color: COLOURS[1], width: 1.5 },
    hovertemplate: "E<sub>S</sub> = %{x:.3e} GeV: %{y:.3e} m<extra></extra>" }],
  { ...small, title: { text: `mean lab decay length (cτ = ${num(D.ctau_m)} m)`, font: { size: 12 } },
    xaxis: { type: "log", title: { text: "E<sub>S</sub> [GeV]" }, exponentformat: "power" },
    yaxis: { type: "log", title: { text: "decay length [m]" }, exponentformat: "power" } },
  { displaylogo: false, responsive: true });
}

// ------------------------------------------------------------------------------------------
// start

async function loadPreset(name, doc = null) {
  state.doc = await getJSON(`/api/experiments/${encodeURIComponent(name)}`);
  $("#preset").value = name;
  const p = state.presets.find((x) => x.name === name);
  $("#preset-description").textContent = p ? `${p.description} (${p.source})` : "";
  // an electron beam has one production method, phase-space WW (mudump.production.electron_beam):
  // a muon-only method chosen before goes back to each beam's default
  if ((doc || state.doc).beam && (doc || state.doc).beam.lepton === "e" && $("#method").value !== "ww") $("#method").value = "";
  buildExperimentForm(doc || state.doc);
  clearErrors();
  schedule();
  schedulePoint();
}

function readFile(input, then) {
  input.addEventListener("change", async () => {
    const f = input.files[0];
    if (!f) return;
    if (f.size > (state.limits?.upload_chars || 16384)) {
      showErrors({ error: `${f.name}: the file is larger than ${state.limits.upload_chars} characters`, fields: [] });
    } else if (await then(f.name, await f.text())) schedule();
    input.value = "";
  });
}

async function init() {
  const [schema, exps, models, methods, g2, mats, limits] = await Promise.all([
    getJSON("/api/schema/experiment"), getJSON("/api/experiments"), getJSON("/api/models"),
    getJSON("/api/methods"), getJSON("/api/g2/presets"), getJSON("/api/materials"), getJSON("/api/limits"),
  ]);
  state.schema = schema; state.presets = exps.presets; state.models = models.models; state.limits = limits;
  const dl = el("datalist", { id: "materials" });
  for (const m of mats.presets) dl.append(el("option", { value: m }));
  document.body.append(dl);
  for (const p of exps.presets) {
    const label = p.label ? `${p.name} — ${plainText(p.label)}` : p.name;
    $("#preset").append(el("option", { value: p.name, text: label }));
    const box = el("input", { type: "checkbox", value: p.name });
    $("#extra-checks").append(el("label", { title: `${p.description} (${p.source})` }, [box, p.name]));
  }
  models.models.forEach((m, k) => addModelBox(m.name, m.label, `${m.description} (${m.kind})`, k === 0));
  // the default: each experiment's beam chooses (etl for muons, ww for electrons), so muon and
  // electron experiments can share a plot
  $("#method").append(el("option", { value: "", text: `each beam's default (${Object.entries(methods.beam_defaults).map(([l, m]) => `${m} for ${l === "mu" ? "muons" : "electrons"}`).join(", ")})` }));
  for (const m of methods.methods) {
    $("#method").append(el("option", { value: m.name, text: `${m.name}: ${m.description}` }));
  }
  $("#method").value = "";
  $("#compare").append(el("option", { value: "", text: "none" }));
  for (const m of methods.methods) $("#compare").append(el("option", { value: m.name, text: m.name }));
  for (const f of methods.form_factors) $("#form_factor").append(el("option", { value: f, text: f }));
  $("#form_factor").value = methods.default_form_factor;
  for (const p of g2.presets) $("#g2preset").append(el("option", { value: p.name, text: `${p.name}: ${p.label}` }));
  $("#g2preset").value = g2.default;
  for (const p of g2.electron_presets) $("#g2epreset").append(el("option", { value: p.name, text: `${p.name}: ${plainText(p.label)}` }));
  $("#g2epreset").value = g2.electron_default;
  buildGridForm();

  $("#preset").addEventListener("change", (e) => loadPreset(e.target.value));
  $("#controls").addEventListener("input", (e) => { if (e.target.type !== "file") schedule(); });
  $("#controls").addEventListener("change", (e) => { if (e.target.tagName !== "INPUT") schedule(); });
  $("#topbar").addEventListener("change", (e) => {
    if (e.target.type !== "checkbox" || e.target.dataset.pinned) return;
    // the point's model follows the models drawn
    const checked = [...document.querySelectorAll("#model-checks input:checked")].map((x) => x.value);
    if (checked.length && !checked.includes($("#pt-model").value)) { $("#pt-model").value = checked[0]; schedulePoint(); }
    schedule();
  });
  readFile($("#model-file"), addUserModel);
  readFile($("#overlay-file"), addOverlay);
  $("#pin").addEventListener("click", () => {
    const body = requestBody();
    if (state.clientErrors.length || !state.last) return;
    const doc = JSON.parse(JSON.stringify(state.last.experiment)); // as the server read it (an edited preset renamed)
    if (state.pinned.some((p) => JSON.stringify(p.doc) === JSON.stringify(doc))) return;
    // the setup goes on being edited under its name: the pinned copy gets a name of its own
    // (an unedited preset keeps its name, the edits will be "<preset>-edited")
    const n = state.pinned.length + 1;
    if (doc.name !== $("#preset").value || state.pinned.some((p) => p.doc.name === doc.name) || body.experiments.includes(doc.name)) {
      doc.name = `${doc.name}-${n}`;
      if (doc.label) doc.label = `${doc.label} ${n}`;
    }
    state.pinned.push({ doc, on: true });
    renderPinned();
    schedule();
  });
  $("#lock-axes").addEventListener("change", () => {
    state.lockedRanges = $("#lock-axes").checked ? currentRanges() : null;
    if (state.last) draw();
    saveState();
  });
  $("#share").addEventListener("click", async () => {
    saveState();
    try { await navigator.clipboard.writeText(location.href); setStatus("ready", "link copied: it restores this page"); }
    catch (e) { setStatus("ready", "the address bar holds the link to this page"); }
  });
  for (const id of ["#pt-mass", "#pt-coupling"]) $(id).addEventListener("input", () => { schedulePoint(); saveState(); });
  $("#pt-model").addEventListener("change", () => { schedulePoint(); saveState(); });
  $("#dl-csv").addEventListener("click", () => state.lastBody && download("/api/reach.csv", state.lastBody, "reach.csv"));
  $("#dl-png").addEventListener("click", () => state.lastBody && download("/api/reach.png", state.lastBody, "reach.png"));
  $("#dl-toml").addEventListener("click", () => {
    const body = requestBody();
    if (!state.clientErrors.length) download("/api/experiment.toml", { experiment: body.experiment }, "experiment.toml");
  });
  const m = location.hash.match(/^#s=([A-Za-z0-9_-]+)$/);
  let restored = false;
  if (m) {
    try { await restoreState(decodeState(m[1])); restored = true; } catch (e) { setStatus("error", `the link could not be read (${e.message}): the defaults are shown`); }
  }
  if (!restored) await loadPreset(exps.presets.find((p) => p.name === "fnal-mu") ? "fnal-mu" : exps.presets[0].name);
  schedule();
  schedulePoint();
}

init().catch((e) => setStatus("error", `could not start: ${e.message}`));
