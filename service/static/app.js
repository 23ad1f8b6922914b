/* practice-search page: plain DOM, no build step. Document text is only ever set
   with textContent; the one HTML field (a passage's `highlighted`) is re-built
   keeping <mark> and nothing else. The page state lives in the query string. */
"use strict";

const I18N = {
  es: {
    title: "Buscador de prácticas de migración", skip: "Ir a los resultados",
    tabSearch: "Búsqueda", tabGap: "Mapa de brechas",
    queryLabel: "¿Qué práctica busca?", queryPlaceholder: "p. ej. trabajo infantil y trata en Perú",
    searchButton: "Buscar", countryLabel: "País", anyCountry: "Todos los países",
    objectiveLabel: "Objetivo del PMM", anyObjective: "Todos los objetivos",
    sectionLabel: "Buscar solo en", anySection: "Todo el texto",
    sec_lessons: "Lecciones aprendidas", sec_recommendations: "Recomendaciones", sec_results: "Resultados",
    sec_activities: "Actividades", sec_summary: "Resumen", sec_context: "Contexto",
    sec_innovation: "Innovación", sec_references: "Referencias y notas", sec_other: "Otro",
    langLabel: "Idioma del texto", anyLang: "Cualquiera", lang_es: "Español", lang_en: "Inglés", lang_fr: "Francés",
    modeLabel: "Modo", mode_hybrid: "Híbrido", mode_dense: "Por significado", mode_bm25: "Por palabras",
    resultsHeading: "Resultados", downloadCsv: "Descargar CSV", downloadJson: "Descargar JSON",
    more: "Más resultados", back: "← Volver a los resultados",
    hint: "Escriba una pregunta en español o en inglés; encontrará prácticas en ambos idiomas.",
    gapHeading: "Mapa de brechas: prácticas por objetivo y país",
    gapNote: "Cada celda cuenta las prácticas; una celda vacía es una brecha. Pulse una celda para ver esas prácticas.",
    apiDocs: "API (OpenAPI)", objective: "Objetivo", objectiveShort: "Obj.",
    found: (n, p, ms) => `${n} ${n === 1 ? "práctica encontrada" : "prácticas encontradas"} (${p} pasajes) en ${ms} ms`,
    browsed: (n) => `${n} ${n === 1 ? "práctica" : "prácticas"}, las más recientes primero`,
    none: "Ninguna práctica coincide. Pruebe con otras palabras o quite filtros.",
    nearestOnly: "Ninguna práctica relevante para esta búsqueda; estas son las más cercanas.", nearest: "cercana, no relevante",
    loading: "Buscando…", similar: "Prácticas similares", similarTo: (t) => `Prácticas similares a: ${t}`,
    open: "Ver la práctica completa", countries: "Países", objectives: "Objetivos", years: "Años",
    published: "Publicado", alsoNamed: "También mencionados",
    languages: "Idiomas", type: "Tipo", source: "Fuente", passages: "Pasajes", organizations: "Organizaciones",
    type_evaluation: "Evaluación", type_practice: "Práctica", type_report: "Informe", type_digest: "Boletín", type_newsletter: "Boletín",
    answerMark: "El pasaje que responde a la búsqueda",
    gapCell: (n, o, c) => `${n} prácticas, objetivo ${o}, ${c}`, gapEmpty: (o, c) => `Sin prácticas: objetivo ${o}, ${c}`,
    gapCount: (n) => `${n} prácticas en el mapa`, total: "Total", filtersUnderstood: "Filtros:",
    signInNeeded: "Este servidor pide una clave de acceso. Pídala a quien lo administra.", keyLabel: "Clave de acceso",
    signInButton: "Entrar", badKey: "Esa clave no es válida en este servidor.",
    errorPrefix: "No se pudo completar la búsqueda: ", networkError: "No hay conexión con el servidor. Inténtelo de nuevo.",
    docTitle: "Práctica",
    inferred: "inferido", suggested: "sugerido", inferredTitle: (c) => `Inferido del texto, no etiquetado (confianza ${c})`,
    facetInferred: (n) => `${n} inferidos`, thisPassage: "Este pasaje trata de",
    gapInferred: (k) => `${k} por inferencia`, gapInferredShort: (k) => `${k} inf.`, gapLegend: "«inf.» cuenta las prácticas situadas en la celda solo por objetivos inferidos del texto (no etiquetados).",
    suggestedRow: "Objetivos sugeridos (baja confianza)",
    docTypeLabel: "Tipo de documento", anyDocType: "Todos los tipos", yearsLabel: "Años", yearFrom: "Desde", yearTo: "Hasta",
    sortLabel: "Orden", sort_published: "Más recientes primero", sort_title: "Título (A-Z)",
    addCountry: "Añadir un país", addObjective: "Añadir un objetivo", chipsLabel: "Filtros elegidos",
    removeFilter: (l) => `Quitar el filtro: ${l}`, yearRange: (a, b) => `Años ${a || "…"}–${b || "…"}`,
    tooLong: (n, max) => `Su pregunta tiene ${n} caracteres; el máximo es ${max}. Acórtela para buscar.`,
    browsedTitle: (n) => `${n} ${n === 1 ? "práctica" : "prácticas"}, por título`,
    gapByCountry: "Por país", gapByRegion: "Por región", gapColumns: "Columnas",
    gapAll: (n) => `Mostrar los ${n} países`, gapTop: (n) => `Mostrar solo los ${n} con más prácticas`,
    gapKeys: "Dentro del mapa, las flechas pasan de celda en celda; Intro abre las prácticas de la celda.",
  },
  en: {
    title: "Migration practice search", skip: "Skip to results",
    tabSearch: "Search", tabGap: "Gap map",
    queryLabel: "What practice are you looking for?", queryPlaceholder: "e.g. child labour and trafficking in Peru",
    searchButton: "Search", countryLabel: "Country", anyCountry: "All countries",
    objectiveLabel: "GCM objective", anyObjective: "All objectives",
    sectionLabel: "Search only in", anySection: "All the text",
    sec_lessons: "Lessons learned", sec_recommendations: "Recommendations", sec_results: "Results",
    sec_activities: "Activities", sec_summary: "Summary", sec_context: "Context",
    sec_innovation: "Innovation", sec_references: "References and notes", sec_other: "Other",
    langLabel: "Text language", anyLang: "Any", lang_es: "Spanish", lang_en: "English", lang_fr: "French",
    modeLabel: "Mode", mode_hybrid: "Hybrid", mode_dense: "By meaning", mode_bm25: "By words",
    resultsHeading: "Results", downloadCsv: "Download CSV", downloadJson: "Download JSON",
    more: "More results", back: "← Back to the results",
    hint: "Ask in Spanish or English; you will find practices written in either language.",
    gapHeading: "Gap map: practices per objective and country",
    gapNote: "Each cell counts practices; an empty cell is a gap. Press a cell to see those practices.",
    apiDocs: "API (OpenAPI)", objective: "Objective", objectiveShort: "Obj.",
    found: (n, p, ms) => `${n} ${n === 1 ? "practice" : "practices"} found (${p} passages) in ${ms} ms`,
    browsed: (n) => `${n} ${n === 1 ? "practice" : "practices"}, newest first`,
    none: "No practice matches. Try other words or remove filters.",
    nearestOnly: "No relevant practice for this search; these are the nearest ones.", nearest: "nearest, not relevant",
    loading: "Searching…", similar: "Similar practices", similarTo: (t) => `Practices similar to: ${t}`,
    open: "Open the full practice", countries: "Countries", objectives: "Objectives", years: "Years",
    published: "Published", alsoNamed: "Also mentioned",
    languages: "Languages", type: "Type", source: "Source", passages: "Passages", organizations: "Organisations",
    type_evaluation: "Evaluation", type_practice: "Practice", type_report: "Report", type_digest: "Digest", type_newsletter: "Newsletter",
    answerMark: "The passage that answers the search",
    gapCell: (n, o, c) => `${n} practices, objective ${o}, ${c}`, gapEmpty: (o, c) => `No practices: objective ${o}, ${c}`,
    gapCount: (n) => `${n} practices on the map`, total: "Total", filtersUnderstood: "Filters:",
    signInNeeded: "This server asks for an access key. Ask whoever runs it.", keyLabel: "Access key",
    signInButton: "Sign in", badKey: "That key is not valid on this server.",
    errorPrefix: "The search could not be completed: ", networkError: "No connection to the server. Please try again.",
    docTitle: "Practice",
    inferred: "inferred", suggested: "suggested", inferredTitle: (c) => `Inferred from the text, not tagged (confidence ${c})`,
    facetInferred: (n) => `${n} inferred`, thisPassage: "This passage is about",
    gapInferred: (k) => `${k} by inference`, gapInferredShort: (k) => `${k} inf.`, gapLegend: "“inf.” counts the practices placed in the cell only by objectives inferred from the text (not tagged).",
    suggestedRow: "Suggested objectives (low confidence)",
    docTypeLabel: "Document type", anyDocType: "All types", yearsLabel: "Years", yearFrom: "From", yearTo: "To",
    sortLabel: "Order", sort_published: "Newest first", sort_title: "Title (A-Z)",
    addCountry: "Add a country", addObjective: "Add an objective", chipsLabel: "Chosen filters",
    removeFilter: (l) => `Remove the filter: ${l}`, yearRange: (a, b) => `Years ${a || "…"}–${b || "…"}`,
    tooLong: (n, max) => `Your question has ${n} characters; the most is ${max}. Shorten it to search.`,
    browsedTitle: (n) => `${n} ${n === 1 ? "practice" : "practices"}, by title`,
    gapByCountry: "By country", gapByRegion: "By region", gapColumns: "Columns",
    gapAll: (n) => `Show all ${n} countries`, gapTop: (n) => `Show only the ${n} with most practices`,
    gapKeys: "Inside the map, arrow keys move from cell to cell; Enter opens the cell's practices.",
  },
};

const $ = (id) => document.getElementById(id);
/* Country and objective take several values (any of them matches), shown as chips; the
   other filters take one. */
const MULTI = ["country", "objective", "doc_type"];
const SINGLE = ["section", "lang", "year_from", "year_to"];
const state = { ui: "es", objectives: [], countryNames: {}, offset: 0, k: 10, lastSearch: null, maxQuery: 1000, maxK: 100 };

function t(key, ...args) {
  const v = (I18N[state.ui] || I18N.en)[key];
  return typeof v === "function" ? v(...args) : (v ?? key);
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

/* The server escapes passage text and adds <mark>; rebuild it keeping only <mark>. */
function highlighted(html) {
  const frag = document.createDocumentFragment();
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  for (const node of doc.body.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === "MARK") frag.append(el("mark", { text: node.textContent }));
    else frag.append(document.createTextNode(node.textContent));
  }
  return frag;
}

/* ---- URL state ---- */
function params() { return new URLSearchParams(location.search); }

function go(updates, { replace = false } = {}) {
  const p = params();
  for (const [k, v] of Object.entries(updates)) {
    p.delete(k);
    if (Array.isArray(v)) for (const x of v) p.append(k, x);
    else if (v !== null && v !== undefined && v !== "") p.set(k, v);
  }
  const url = `${location.pathname}?${p.toString()}`;
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  render();
}

/* Before leaving a list for a document (or another page of state), remember how many
   results it showed and where it was scrolled, so Back restores both. */
function rememberPlace() {
  history.replaceState({ ...(history.state || {}), shown: state.offset, scroll: window.scrollY }, "");
}

function apiParams(p, withQuery = true) {
  const out = new URLSearchParams();
  if (withQuery && p.get("q")) out.set("q", p.get("q"));
  for (const f of MULTI) for (const v of p.getAll(f)) out.append(f, v);
  for (const f of SINGLE) if (p.get(f)) out.set(f, p.get(f));
  if (p.get("mode") && p.get("mode") !== "hybrid") out.set("mode", p.get("mode"));
  if (!(withQuery && p.get("q")) && p.get("sort") === "title") out.set("sort", "title");
  return out;
}

async function api(path, search) {
  const url = search && String(search) ? `${path}?${search}` : path;
  let resp;
  try { resp = await fetch(url, { headers: { Accept: "application/json" } }); }
  catch { throw new Error(t("networkError")); }
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const d = body.detail || {};
    const err = new Error(d.message ? `${d.param ? d.param + ": " : ""}${d.message}` : `HTTP ${resp.status}`);
    err.needsKey = resp.status === 401 && d.param === "authorization";
    throw err;
  }
  return body;
}

/* Where the server has API keys, the page signs in once: POST /session sets an HttpOnly
   cookie, so every request and link (CSV downloads included) carries the key. */
async function signIn(event) {
  event.preventDefault();
  let resp;
  try {
    resp = await fetch("/session", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key: $("api-key").value }),
    });
  } catch { signInError(t("networkError")); return; }
  if (!resp.ok) { signInError(t("badKey")); $("api-key").select(); return; }
  signInError(null);
  $("api-key").value = "";
  $("signin").hidden = true;
  render();
}

function signInError(message) {
  $("signin-error").hidden = !message;
  $("signin-error").textContent = message || "";
}

function askForKey() {
  $("signin").hidden = false;
  $("search-form").hidden = true;
  $("hint").hidden = true;
  $("status").textContent = "";
  $("api-key").focus();
}

function showError(err) {
  const box = $("error");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = t("errorPrefix") + err.message;
}

/* ---- labels ---- */
function objectiveLabel(n) {
  const o = state.objectives.find((x) => x.number === Number(n));
  if (!o) return `${t("objective")} ${n}`;
  return `${n}. ${state.ui === "es" ? o.short_es : o.short_en}`;
}
function objectiveTitle(n) {
  const o = state.objectives.find((x) => x.number === Number(n));
  return o ? (state.ui === "es" ? o.title_es : o.title_en) : "";
}
function countryLabel(code) {
  const names = state.countryNames[code];
  return (names && (names[state.ui] || names.en)) || code;
}
function sectionLabel(kind, raw) { return raw || t(`sec_${kind}`); }

function applyI18n() {
  document.documentElement.lang = state.ui;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of document.querySelectorAll("[data-i18n-aria]")) node.setAttribute("aria-label", t(node.dataset.i18nAria));
  for (const b of document.querySelectorAll("[data-ui]")) b.setAttribute("aria-pressed", String(b.dataset.ui === state.ui));
  document.title = t("title");
}

/* ---- filter selects with counts from /facets ---- */
function fillSelect(select, anyKey, entries, selected) {
  select.replaceChildren(el("option", { value: "", "data-i18n": anyKey, text: t(anyKey) }));
  for (const [value, label] of entries) {
    const opt = el("option", { value: String(value), text: label });
    if (String(value) === selected) opt.selected = true;
    select.append(opt);
  }
  select.value = selected || "";
}

async function refreshFacets(p) {
  // Disjunctive counts: each list is counted under every other chosen filter, so a value's
  // count is how many practices choosing it gives.
  const facets = await api("/facets", apiParams(p));
  Object.assign(state.countryNames, facets.country_names || {});
  // the country and objective selects add a value (a chip); the values chosen are not offered again
  const chosen = (f) => p.getAll(f);
  const countries = Object.entries(facets.countries).filter(([c]) => !chosen("country").includes(c))
    .sort((a, b) => b[1] - a[1] || countryLabel(a[0]).localeCompare(countryLabel(b[0])));
  fillSelect($("country"), chosen("country").length ? "addCountry" : "anyCountry",
    countries.map(([c, n]) => [c, `${countryLabel(c)} (${n})`]), "");
  fillSelect($("objective"), chosen("objective").length ? "addObjective" : "anyObjective",
    state.objectives.filter((o) => !chosen("objective").includes(String(o.number))).map((o) => {
      const n = facets.objectives[o.number] || 0, inf = (facets.objectives_inferred || {})[o.number] || 0;
      return [o.number, `${objectiveLabel(o.number)} (${n}${inf ? `, ${t("facetInferred", inf)}` : ""})`];
    }), "");
  fillSelect($("doc_type"), "anyDocType",
    Object.entries(facets.doc_types || {}).filter(([d]) => !chosen("doc_type").includes(d))
      .map(([d, n]) => [d, `${typeLabel(d)} (${n})`]), "");
  renderChips(p);
  // the languages this index holds, not a fixed list
  const langSel = p.get("lang") || "";
  const langs = Object.entries(facets.languages).filter(([c]) => c !== "und");
  if (langSel && !facets.languages[langSel]) langs.push([langSel, 0]);
  fillSelect($("lang"), "anyLang", langs.map(([c, n]) => [c, `${I18N[state.ui][`lang_${c}`] || c.toUpperCase()} (${n})`]), langSel);
}

function typeLabel(d) { return I18N[state.ui][`type_${String(d).toLowerCase()}`] || d; }

/* Chosen filters as chips: each removes its filter. */
function renderChips(p) {
  const list = $("chips");
  list.replaceChildren();
  list.setAttribute("aria-label", t("chipsLabel"));
  const chip = (label, onRemove) => {
    const b = el("button", { type: "button", class: "chip", "aria-label": t("removeFilter", label) }, el("span", { text: label }), el("span", { "aria-hidden": "true", text: " ×" }));
    b.addEventListener("click", onRemove);
    list.append(el("li", {}, b));
  };
  const labels = { country: countryLabel, objective: objectiveLabel, doc_type: typeLabel };
  for (const f of MULTI) {
    for (const v of p.getAll(f)) chip(labels[f](v), () => go({ [f]: p.getAll(f).filter((x) => x !== v) }));
  }
  if (p.get("year_from") || p.get("year_to")) chip(t("yearRange", p.get("year_from"), p.get("year_to")), () => go({ year_from: null, year_to: null }));
  list.hidden = !list.children.length;
}

/* ---- search results ---- */
function badge(text, cls, title) { return el("span", { class: `badge ${cls}`, text, ...(title ? { title } : {}) }); }

function docHref(id, passage) {
  const p = new URLSearchParams({ view: "doc", id, ui: state.ui });
  if (passage) p.set("passage", passage);  // the answering passage, marked and scrolled to
  return `?${p}`;
}
function similarHref(id) { const p = params(); p.set("similar", id); p.set("view", "search"); p.delete("id"); return `?${p}`; }

function link(href, text, cls) {
  const a = el("a", { href, text, ...(cls ? { class: cls } : {}) });
  a.addEventListener("click", (e) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    rememberPlace();
    history.pushState(null, "", href);
    window.scrollTo(0, 0);
    render();
  });
  return a;
}

/* An objective on a card: tagged ones plain, inferred ones marked in words (not colour alone). */
function objectiveItem(n, inf) {
  if (!inf) return el("li", { title: objectiveTitle(n), text: objectiveLabel(n) });
  const conf = inf.confidence.toFixed(2);
  return el("li", { class: `inferred ${inf.source}`, title: `${objectiveTitle(n)} · ${t("inferredTitle", conf)}`, "data-confidence": conf },
    objectiveLabel(n), el("span", { class: "mark", text: ` · ${t(inf.source)}` }));
}

function card(hit) {
  const meta = el("div", { class: "meta" });
  for (const lg of hit.languages) meta.append(badge(lg.toUpperCase(), "lang", t(`lang_${lg}`)));
  for (const c of hit.countries) meta.append(badge(countryLabel(c), "country"));
  if (hit.published) meta.append(badge(hit.published.slice(0, 4), "year"));
  else if (hit.years.length) meta.append(badge(hit.years.length > 1 ? `${hit.years[0]}–${hit.years[hit.years.length - 1]}` : String(hit.years[0]), "year"));
  const objs = el("ul", { class: "objectives", "aria-label": t("objectives") });
  const inferred = Object.fromEntries((hit.inferred || []).map((o) => [o.number, o]));
  for (const n of hit.objectives) objs.append(objectiveItem(n, inferred[n]));
  const passages = el("div", { class: "passages" });
  for (const [i, p] of hit.passages.slice(0, 2).entries()) {
    const about = (p.objectives || []).length
      ? el("p", { class: "passage-objectives", text: `${t("thisPassage")}: ${p.objectives.map((o) => `${objectiveLabel(o.number)} (${t("inferred")})`).join(" · ")}` })
      : "";
    passages.append(el("blockquote", { class: i ? "passage more-passage" : "passage answer", lang: p.lang, "data-section-kind": p.section_kind },
      el("span", { class: "section", text: sectionLabel(p.section_kind, p.section) }),
      el("p", {}, highlighted(p.highlighted)), about));
  }
  if (hit.relevant === false) meta.append(badge(t("nearest"), "nearest"));
  return el("li", { class: hit.relevant === false ? "card nearest" : "card", "data-doc-id": hit.doc_id },
    el("h3", {}, link(docHref(hit.doc_id, hit.passages[0] && hit.passages[0].passage_id), hit.title || hit.doc_id)),
    meta, objs, passages,
    el("div", { class: "actions" }, link(docHref(hit.doc_id, hit.passages[0] && hit.passages[0].passage_id), t("open")), link(similarHref(hit.doc_id), t("similar"), "similar")));
}

function setDownloads(search) {
  // the CSV holds every result (not this page), labelled in the interface language
  const csv = new URLSearchParams(search); csv.set("format", "csv"); csv.set("ui", state.ui);
  csv.delete("k"); csv.delete("offset");
  const json = new URLSearchParams(search); json.set("format", "json");
  $("dl-csv").href = `/search?${csv}`;
  $("dl-json").href = `/search?${json}`;
  $("downloads").hidden = false;
}

function describeFilters(f) {
  const parts = [];
  if (f.country) parts.push(f.country.map(countryLabel).join(", "));
  if (f.objective) parts.push(f.objective.map(objectiveLabel).join(", "));
  if (f.section) parts.push(f.section.map((s) => t(`sec_${s}`)).join(", "));
  if (f.lang) parts.push(f.lang.map((l) => t(`lang_${l}`)).join(", "));
  if (f.doc_type) parts.push(f.doc_type.map(typeLabel).join(", "));
  if (f.year_from || f.year_to) parts.push(t("yearRange", f.year_from, f.year_to));
  return parts.length ? ` · ${t("filtersUnderstood")} ${parts.join(" · ")}` : "";
}

async function runSearch(p, append = false) {
  const similar = p.get("similar");
  const q = (p.get("q") || "").trim();
  $("similar-note").hidden = !similar;
  // Without a query the filtered practices are listed, newest first (browsing).
  const browsing = !q && !similar;
  $("hint").hidden = !browsing;
  $("status").textContent = t("loading");
  const search = apiParams(p, !similar);
  // Back to a list that had shown more: the same results again, then its scroll position
  const place = !append && history.state && history.state.shown ? history.state : null;
  const k = place ? Math.min(Math.max(place.shown, state.k), state.maxK) : state.k;
  search.set("k", String(k));
  let res;
  if (similar) {
    res = await api(`/practices/${encodeId(similar)}/similar`, search);
    $("similar-note").textContent = t("similarTo", similar);
    api(`/practices/${encodeId(similar)}`).then((d) => { $("similar-note").textContent = t("similarTo", d.title); }).catch(() => {});
    $("downloads").hidden = true;
  } else {
    if (append) search.set("offset", String(state.offset));
    res = await api("/search", search);
    search.delete("offset");
    setDownloads(search);
  }
  const list = $("results");
  if (!append) list.replaceChildren();
  for (const hit of res.hits) list.append(card(hit));
  const ms = Math.round(res.timing_ms.request ?? res.timing_ms.total ?? 0);
  const n = res.matched_documents;
  const listed = p.get("sort") === "title" ? t("browsedTitle", n) : t("browsed", n);
  $("status").textContent = !n
    ? (res.hits.length ? t("nearestOnly") : t("none")) + describeFilters(res.filters || {})
    : (browsing ? listed : t("found", n, res.matched_passages, ms)) + describeFilters(res.filters || {});
  state.offset = (append ? state.offset : 0) + res.hits.length;
  $("more").hidden = similar || state.offset >= res.matched_documents || res.hits.length < k;
  if (append) history.replaceState({ ...(history.state || {}), shown: state.offset }, "");
  if (place && place.scroll != null) window.scrollTo(0, place.scroll);
}

function encodeId(id) { return id.split("/").map(encodeURIComponent).join("/"); }

/* ---- document view ---- */
/* Consecutive passages overlap by a few tokens; show the shared words once. */
function withoutOverlap(prev, text) {
  for (let k = Math.min(prev.length, text.length, 800); k >= 20; k--) {
    if (prev.endsWith(text.slice(0, k))) return text.slice(k).trimStart();
  }
  return text;
}

async function showDoc(id, answer) {
  const d = await api(`/practices/${encodeId(id)}`);
  Object.assign(state.countryNames, d.country_names || {});
  const art = $("doc");
  const dl = el("dl", { class: "docmeta" });
  const row = (k, v) => { if (v) dl.append(el("dt", { text: k }), el("dd", { text: v })); };
  // where the practice takes place (explicit and primary), then the countries only named
  const places = [...new Set([...d.countries.explicit, ...(d.countries.primary || [])])];
  row(t("countries"), places.map(countryLabel).join(", "));
  row(t("alsoNamed"), d.countries.mentioned.filter((c) => !places.includes(c)).map(countryLabel).join(", "));
  row(t("published"), d.published || "");
  const objs = [...new Set([...d.objectives.explicit, ...d.objectives.mentioned])].sort((a, b) => a - b);
  const inf = d.objectives.inferred.filter((o) => !objs.includes(o.number));
  row(t("objectives"), [...objs.map(objectiveLabel),
    ...inf.filter((o) => o.confident).map((o) => `${objectiveLabel(o.number)} (${t("inferred")} ${o.score.toFixed(2)})`)].join(" · "));
  row(t("suggestedRow"), inf.filter((o) => !o.confident).map((o) => `${objectiveLabel(o.number)} (${o.score.toFixed(2)})`).join(" · "));
  row(t("years"), d.years.join(", "));
  row(t("languages"), d.languages.map((l) => t(`lang_${l}`)).join(", "));
  const typeKey = d.doc_type ? `type_${d.doc_type.toLowerCase()}` : "";
  row(t("type"), d.doc_type ? (I18N[state.ui][typeKey] || d.doc_type) : "");
  row(t("organizations"), (d.organizations || []).join(", "));
  const body = el("div", { class: "doc-passages" });
  let lastSection = null;
  let prev = "";
  for (const p of d.passages) {
    const label = sectionLabel(p.section_kind, p.section);
    if (label !== lastSection) { body.append(el("h3", { text: label })); lastSection = label; prev = ""; }
    body.append(el("p", { lang: p.lang, id: `p-${p.id}`, text: withoutOverlap(prev, p.text) }));
    prev = p.text;
  }
  const title = el("h2", { id: "doc-title", tabindex: "-1", text: d.title || d.id });
  art.replaceChildren(title, dl, el("p", { class: "actions" }, link(similarHref(d.id), t("similar"), "similar")), body);
  if (d.url && /^https?:\/\//.test(d.url)) art.insertBefore(el("p", {}, el("a", { href: d.url, rel: "noopener", text: t("source") })), body);
  $("status").textContent = `${t("docTitle")}: ${d.title || d.id}`;
  const hit = answer ? document.getElementById(`p-${answer}`) : null;
  if (hit) {
    // the passage that answered the search: marked in words and colour, and brought into view
    hit.classList.add("answer");
    hit.prepend(el("span", { class: "answer-mark", text: `${t("answerMark")}: ` }));
    title.focus({ preventScroll: true });
    hit.scrollIntoView({ block: "center" });
  } else {
    title.focus();
  }
}

/* ---- gap map ---- */
const GAP_TOP = 12;  // countries shown at first, most practices first; the rest one click away

/* Cell colour and text colour with a contrast of at least 4.5:1 (WCAG AA): dark text on
   the lighter cells, white text on cells at least 85% of the heat colour. */
function heat(n, max) {
  const v = n / max;
  return v <= 0.6 ? { alpha: 0.12 + v * (0.68 - 0.12) / 0.6, cls: "light" } : { alpha: 0.85 + (v - 0.6) * 0.15 / 0.4, cls: "dark" };
}

async function showGap(p) {
  const byRegion = p.get("by") === "region";
  const search = apiParams(p);
  if (byRegion) search.set("by_region", "true");
  const gm = await api("/gapmap", search);
  const csv = new URLSearchParams(search); csv.set("format", "csv"); csv.set("ui", state.ui);
  $("dl-gap-csv").href = `/gapmap?${csv}`;
  if (!byRegion) Object.assign(state.countryNames, gm.column_labels || {});
  const label = (c) => (byRegion ? ((gm.column_labels[c] || {})[state.ui] || c) : countryLabel(c));
  $("gap-by-country").setAttribute("aria-pressed", String(!byRegion));
  $("gap-by-region").setAttribute("aria-pressed", String(byRegion));
  const max = Math.max(1, ...gm.matrix.flat());
  const total = (c) => gm.rows.reduce((n, r) => n + (r.counts[c] || 0), 0);
  const ordered = [...gm.columns].sort((a, b) => total(b) - total(a) || label(a).localeCompare(label(b)));
  const all = byRegion || p.get("cols") === "all" || ordered.length <= GAP_TOP;
  const columns = all ? ordered : ordered.slice(0, GAP_TOP);
  const more = $("gap-all");
  more.hidden = byRegion || ordered.length <= GAP_TOP;
  more.textContent = p.get("cols") === "all" ? t("gapTop", GAP_TOP) : t("gapAll", ordered.length);
  const head = el("tr", {}, el("th", { scope: "col", text: t("objective") }));
  for (const c of columns) head.append(el("th", { scope: "col", text: label(c), title: c }));
  const tbody = el("tbody");
  for (const [r, row] of gm.rows.entries()) {
    const o = row.objective;
    const tr = el("tr", {}, el("th", { scope: "row", title: objectiveTitle(o), text: objectiveLabel(o) }));
    for (const [j, c] of columns.entries()) {
      const n = row.counts[c] || 0;
      const at = { "data-r": String(r), "data-c": String(j), tabindex: "-1" };  // one tab stop: arrows inside
      if (!n) {
        tr.append(el("td", { class: "empty" }, el("span", { ...at, class: "cell", role: "img", "aria-label": t("gapEmpty", o, label(c)), text: "·" })));
        continue;
      }
      const target = new URLSearchParams(search);
      target.delete("by_region"); target.delete("country");
      for (const m of byRegion ? (gm.members[c] || []) : [c]) target.append("country", m);
      target.set("view", "search"); target.set("objective", String(o)); target.set("ui", state.ui);
      // Without a query the cell opens the list of exactly its practices.
      const k = (row.inferred_counts || {})[c] || 0;
      const a = link(`?${target}`, String(n), "cell");
      for (const [name, v] of Object.entries(at)) a.setAttribute(name, v);
      if (k) a.append(el("small", { class: "inf", text: t("gapInferredShort", k), title: t("gapInferred", k) }));
      a.setAttribute("aria-label", t("gapCell", n, o, label(c)) + (k ? ` (${t("gapInferred", k)})` : ""));
      if (k) a.dataset.inferred = String(k);
      a.dataset.objective = String(o); a.dataset.country = c;
      const { alpha, cls } = heat(n, max);
      const td = el("td", { class: `filled ${cls}` }, a);
      td.style.setProperty("--v", alpha.toFixed(3));
      tr.append(td);
    }
    tbody.append(tr);
  }
  const table = $("gap");
  table.replaceChildren(el("caption", { class: "sr-only", text: t("gapHeading") }), el("thead", {}, head), tbody);
  const first = table.querySelector(".cell");
  if (first) first.tabIndex = 0;
  $("status").textContent = t("gapCount", gm.matched_documents);
}

/* Arrow keys, Home and End move between the map's cells (a roving tab stop). */
function gapKeys(e) {
  const cell = e.target.closest(".cell");
  if (!cell) return;
  let r = Number(cell.dataset.r), c = Number(cell.dataset.c);
  const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  if (moves[e.key]) { r += moves[e.key][0]; c += moves[e.key][1]; }
  else if (e.key === "Home") c = 0;
  else if (e.key === "End") c = $("gap").querySelectorAll(`.cell[data-r="${r}"]`).length - 1;
  else return;
  const next = $("gap").querySelector(`.cell[data-r="${r}"][data-c="${c}"]`);
  e.preventDefault();
  if (!next) return;
  cell.tabIndex = -1;
  next.tabIndex = 0;
  next.focus();
}

/* ---- rendering the state in the URL ---- */
let renderSeq = 0;
async function render() {
  const seq = ++renderSeq;
  const p = params();
  const ui = p.get("ui");
  if (ui && I18N[ui]) state.ui = ui;
  applyI18n();
  const view = p.get("view") || "search";
  $("q").value = p.get("q") || "";
  $("section").value = p.get("section") || "";
  $("mode").value = p.get("mode") || "hybrid";
  $("year_from").value = p.get("year_from") || "";
  $("year_to").value = p.get("year_to") || "";
  $("sort").value = p.get("sort") === "title" ? "title" : "published";
  $("sort-box").hidden = Boolean((p.get("q") || "").trim() || p.get("similar"));  // a query is ranked by relevance
  queryNotice();
  $("view-search").hidden = view !== "search";
  $("view-doc").hidden = view !== "doc";
  $("view-gap").hidden = view !== "gap";
  $("search-form").hidden = view === "doc";
  for (const b of document.querySelectorAll("[data-view]")) b.setAttribute("aria-pressed", String(b.dataset.view === view));
  showError(null);
  if (view !== "doc") $("status").textContent = t("loading");
  try {
    if (!state.objectives.length) {
      const [objectives, health] = await Promise.all([api("/objectives"), api("/health")]);
      state.objectives = objectives;
      Object.assign(state, { maxQuery: health.limits?.max_query_chars || state.maxQuery, maxK: health.limits?.max_k || state.maxK });
    }
    if (view !== "doc") await refreshFacets(p);
    if (seq !== renderSeq) return;
    if (view === "doc") await showDoc(p.get("id") || "", p.get("passage"));
    else if (view === "gap") await showGap(p);
    else await runSearch(p);
  } catch (err) {
    if (seq === renderSeq && err.needsKey) askForKey();
    else if (seq === renderSeq) { showError(err); $("status").textContent = ""; }
  }
}

function formState() {
  const p = params();
  const out = { q: $("q").value.trim(), similar: null, view: p.get("view") === "gap" ? "gap" : "search", id: null };
  for (const f of MULTI) out[f] = p.getAll(f);  // the chips; a select adds to them
  for (const f of SINGLE) out[f] = $(f).value;
  out.mode = $("mode").value === "hybrid" ? null : $("mode").value;
  out.sort = $("sort").value === "title" ? "title" : null;
  return out;
}

/* A select changes the search when a choice is made: a click, Enter, or leaving it after
   moving with the keys; arrow keys alone on a closed select do not search on every step. */
function onChoice(select, commit) {
  let keyed = false;
  select.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); if (keyed) { keyed = false; commit(); } }
    else if (e.key.startsWith("Arrow") || ["Home", "End", "PageUp", "PageDown"].includes(e.key) || e.key.length === 1) keyed = true;
  });
  select.addEventListener("change", () => { if (!keyed) commit(); });
  select.addEventListener("blur", () => { if (keyed) { keyed = false; commit(); } });
}

function addFilter(name) {
  const v = $(name).value;
  if (!v) return;
  const p = params();
  go({ ...formState(), [name]: [...new Set([...p.getAll(name), v])] });
}

function queryNotice() {
  const n = $("q").value.length;
  const over = n > state.maxQuery;
  $("q-notice").hidden = !over;
  $("q-notice").textContent = over ? t("tooLong", n, state.maxQuery) : "";
  return over;
}

document.addEventListener("DOMContentLoaded", () => {
  if (!params().get("ui")) state.ui = (navigator.language || "es").toLowerCase().startsWith("en") ? "en" : "es";
  history.scrollRestoration = "manual";  // render() restores the list's own place
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); if (!queryNotice()) go(formState()); });
  $("q").addEventListener("input", queryNotice);
  $("signin").addEventListener("submit", signIn);
  for (const f of MULTI) onChoice($(f), () => addFilter(f));
  for (const f of ["section", "lang", "mode", "sort"]) onChoice($(f), () => go(formState()));
  for (const f of ["year_from", "year_to"]) $(f).addEventListener("change", () => go(formState()));
  for (const b of document.querySelectorAll("[data-ui]")) b.addEventListener("click", () => go({ ui: b.dataset.ui }, { replace: true }));
  for (const b of document.querySelectorAll("[data-view]")) {
    b.addEventListener("click", () => go({ ...formState(), view: b.dataset.view }));
  }
  $("back").addEventListener("click", () => { if (history.length > 1) history.back(); else go({ view: "search", id: null }); });
  $("more").addEventListener("click", () => runSearch(params(), true).catch(showError));
  window.addEventListener("pagehide", rememberPlace);
  $("gap").addEventListener("keydown", gapKeys);
  $("gap-by-country").addEventListener("click", () => go({ by: null, cols: null }));
  $("gap-by-region").addEventListener("click", () => go({ by: "region", cols: null }));
  $("gap-all").addEventListener("click", () => go({ cols: params().get("cols") === "all" ? null : "all" }, { replace: true }));
  window.addEventListener("popstate", render);
  render();
});
