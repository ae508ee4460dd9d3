// The YAML editor: Apply goes through POST /api/v1/config (all or nothing, the same validation as meshctl apply),
// Analyze through POST /api/v1/analyze (changes nothing). A refusal shows every message with its field and line.
import { el, postYaml, messageTable } from "./dom.js";

const SOURCE = "dashboard";

function show(className, headline, configVersion, ...content) {
  document.getElementById("editor-result").replaceChildren(el("div",
    { className: "result " + className, id: "editor-outcome", data: { outcome: className, configVersion } },
    el("p", { text: headline }), ...content));
}

async function apply() {
  const yaml = document.getElementById("yaml-editor").value;
  const { ok, status, body } = await postYaml("/api/v1/config?source=" + SOURCE, yaml);
  if (ok) {
    const applied = body.applied.map((a) => el("li", { className: "applied", text: `${a.kind} ${a.namespace}/${a.name} ${a.action}` }));
    show("ok", `Applied: config version ${body.configVersion}`, body.configVersion, el("ul", {}, ...applied));
    document.getElementById("editor-config-version").textContent = "config version " + body.configVersion;
  } else if (body && body.messages) {
    show("bad", `Refused, nothing changed: ${body.error}`, null, messageTable(body.messages));
  } else {
    show("bad", `Refused (${status}): ${(body && body.error) || "no answer"}`, null);
  }
}

async function analyze() {
  const yaml = document.getElementById("yaml-editor").value;
  const { ok, status, body } = await postYaml("/api/v1/analyze?source=" + SOURCE, yaml);
  if (!ok) {
    show("bad", `Analyze failed (${status}): ${(body && body.error) || "no answer"}`, null);
    return;
  }
  const warnings = body.messages.filter((m) => m.severity !== "error").length;
  show(body.valid ? (warnings ? "warn" : "ok") : "bad",
    body.valid ? `Valid${warnings ? ` with ${warnings} warning(s)` : ""}: applying it would be accepted` : "Not valid: applying it would be refused",
    null, ...(body.messages.length ? [messageTable(body.messages)] : []));
}

/** YAML for a JSON value: enough for Istio resources (maps, lists, scalars), with strings quoted when YAML would misread them. */
export function toYaml(value, indent = "") {
  const scalar = (v) => {
    if (v === null || v === undefined) return "null";
    if (typeof v !== "string") return String(v);
    return /^[\w./*-][\w ./:*@-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|~|[-+]?[\d.]+(e[-+]?\d+)?)$/i.test(v) && !/: |\s$/.test(v)
      ? v : JSON.stringify(v);
  };
  if (Array.isArray(value)) {
    if (value.length === 0) return " []";
    return value.map((item) => {
      if (item && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length) {
        const body = toYaml(item, indent + "  ").replace(/^\n/, "");
        return "\n" + indent + "- " + body.slice(indent.length + 2);
      }
      return "\n" + indent + "-" + (item && typeof item === "object" ? toYaml(item, indent + "  ") : " " + scalar(item));
    }).join("");
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return " {}";
    return entries.map(([k, v]) => "\n" + indent + scalar(k) + ":" +
      (v && typeof v === "object" ? toYaml(v, Array.isArray(v) ? indent : indent + "  ") : " " + scalar(v))).join("");
  }
  return " " + scalar(value);
}

export function editResource(resource) {
  const document_ = { apiVersion: resource.apiVersion, kind: resource.kind,
    metadata: { name: resource.metadata.name, namespace: resource.metadata.namespace, ...(Object.keys(resource.metadata.labels || {}).length ? { labels: resource.metadata.labels } : {}) },
    spec: resource.spec };
  document.getElementById("yaml-editor").value = toYaml(document_).replace(/^\n/, "") + "\n";
  document.getElementById("editor-result").replaceChildren();
  location.hash = "#editor";
}

export function initEditor() {
  const run = (action, button) => async () => {
    button.disabled = true;
    try { await action(); } catch (error) { show("bad", "Cannot reach the control plane: " + error.message, null); } finally { button.disabled = false; }
  };
  const applyButton = document.getElementById("apply-config");
  const analyzeButton = document.getElementById("analyze-config");
  applyButton.addEventListener("click", run(apply, applyButton));
  analyzeButton.addEventListener("click", run(analyze, analyzeButton));
  document.getElementById("clear-editor").addEventListener("click", () => {
    document.getElementById("yaml-editor").value = "";
    document.getElementById("editor-result").replaceChildren();
  });
  // Tab indents instead of leaving the field: YAML is all indentation.
  document.getElementById("yaml-editor").addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.shiftKey) return;
    event.preventDefault();
    const area = event.target, start = area.selectionStart;
    area.setRangeText("  ", start, area.selectionEnd, "end");
  });
}
