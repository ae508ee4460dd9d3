// Small DOM and API helpers. Everything from the API goes into the page through textContent or attributes,
// never as HTML: labels, NACK reasons and config are proxy or user input.

export const SVG_NS = "http://www.w3.org/2000/svg";

export function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  return fill(node, options, children);
}

export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function fill(node, options, children) {
  if (options.id) node.id = options.id;
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.href) node.href = options.href;
  if (options.title) node.title = options.title;
  if (options.rowSpan) node.rowSpan = options.rowSpan;
  if (options.colSpan) node.colSpan = options.colSpan;
  if (options.data) for (const [k, v] of Object.entries(options.data)) if (v !== undefined && v !== null) node.dataset[k] = String(v);
  if (options.onClick) node.addEventListener("click", options.onClick);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export const pill = (ok, yes, no) => el("span", { className: "pill " + (ok ? "ok" : "bad"), text: ok ? yes : no });
export const warnPill = (text, title) => el("span", { className: "pill warn", text, title });
export const muted = (text = "—") => el("span", { className: "muted", text });
export const emptyRow = (columns, text) => el("tr", {}, el("td", { className: "empty", colSpan: columns, text }));

export function labels(map) {
  const cell = el("td");
  const entries = Object.entries(map || {});
  if (entries.length === 0) cell.append(muted());
  for (const [k, v] of entries) cell.append(el("span", { className: "label", text: k + "=" + v }));
  return cell;
}

export function time(iso) {
  if (!iso) return muted();
  const at = new Date(iso);
  return el("span", { text: at.toLocaleTimeString(), title: iso });
}

/** "3 s ago", "2 min ago": how old a timestamp is relative to another. */
export function age(iso, now = new Date()) {
  if (!iso) return "never";
  const seconds = Math.max(0, (now - new Date(iso)) / 1000);
  if (seconds < 1.5) return "now";
  if (seconds < 90) return Math.round(seconds) + " s ago";
  if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
  return Math.round(seconds / 3600) + " h ago";
}

export const formatRate = (rps) => (rps >= 100 ? rps.toFixed(0) : rps >= 10 ? rps.toFixed(1) : rps.toFixed(2));
export const formatPercent = (share) => (share * 100).toFixed(share > 0 && share < 0.01 ? 2 : 1) + "%";
export const formatMs = (ms) => (ms === null || ms === undefined ? "–" : ms >= 100 ? ms.toFixed(0) + " ms" : ms.toFixed(1) + " ms");

export class ApiError extends Error {
  constructor(path, status, body) {
    super(path + " answered " + status + (body && body.error ? ": " + body.error : ""));
    this.status = status;
    this.body = body;
  }
}

async function readBody(response) {
  const text = await response.text();
  try { return text ? JSON.parse(text) : null; } catch { return { error: text }; }
}

export async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  const body = await readBody(response);
  if (!response.ok) throw new ApiError(path, response.status, body);
  return body;
}

/** POSTs YAML and returns {ok, status, body} whatever the status: a 400 carries the validation messages. */
export async function postYaml(path, yaml) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/yaml" }, body: yaml });
  return { ok: response.ok, status: response.status, body: await readBody(response) };
}

/** A table of ConfigMessages (severity, field, line, message), as meshctl prints them. */
export function messageTable(messages) {
  const rows = messages.map((m) => el("tr", { className: "config-message", data: { field: m.field, line: m.line, severity: m.severity } },
    el("td", { className: "severity-" + m.severity, text: m.severity }),
    el("td", { className: "mono", text: m.source + (m.line ? ":" + m.line + (m.column ? ":" + m.column : "") : "") }),
    el("td", { text: [m.kind, m.namespace && m.name ? m.namespace + "/" + m.name : m.name].filter(Boolean).join(" ") || "—" }),
    el("td", { className: "mono", text: m.field || "—" }),
    el("td", { className: "mono", text: m.line ?? "—" }),
    el("td", { className: "message-text", text: m.message })));
  return el("table", { className: "data messages" },
    el("thead", {}, el("tr", {}, ...["Severity", "Where", "Resource", "Field", "Line", "Message"].map((h) => el("th", { text: h })))),
    el("tbody", {}, ...(rows.length ? rows : [emptyRow(6, "No messages.")])));
}
