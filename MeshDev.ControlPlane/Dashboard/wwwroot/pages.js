// The table pages: services, proxies, config with its validation messages, certificates and a proxy's config dump.
import { el, pill, warnPill, muted, labels, time, emptyRow, getJson, messageTable, ApiError } from "./dom.js";

const connection = (item) => item.connected
  ? pill(true, "connected", "")
  : warnPill("disconnected", "since " + (item.disconnectedAt || "?"));

// "rejected": the proxy NACKed the latest push and keeps serving its last good snapshot.
function syncState(proxy) {
  if (proxy.inSync) return pill(true, "in sync", "");
  if (!proxy.sentVersion) return muted();
  if (proxy.lastNack && proxy.lastNack.version === proxy.sentVersion) return pill(false, "", "rejected");
  return warnPill("pending");
}

export function renderServices(services) {
  const rows = [];
  for (const service of services) {
    service.instances.forEach((instance, i) => {
      const row = el("tr", { className: "instance", data: { service: service.name, proxy: instance.proxyId } });
      if (i === 0) {
        row.append(el("td", { rowSpan: service.instances.length },
          el("span", { className: "service-name", text: service.name }),
          el("div", { className: "muted", text: service.namespace })));
      }
      row.append(
        el("td", { className: "mono", text: instance.proxyId }),
        labels(instance.labels),
        el("td", { className: "mono", text: instance.address + " (port " + instance.servicePort + ")" }),
        el("td", { text: instance.protocol }),
        el("td", {}, pill(instance.healthy, "healthy", "unhealthy")),
        el("td", {}, connection(instance)));
      rows.push(row);
    });
  }
  document.getElementById("services").replaceChildren(...(rows.length ? rows : [emptyRow(7, "No services registered yet.")]));
  document.getElementById("service-count").textContent = "(" + services.length + ")";
}

export function renderProxies(proxies, showConfigDump) {
  const rows = proxies.map((proxy) => el("tr", { className: "proxy", data: { proxy: proxy.id } },
    el("td", { className: "mono", text: proxy.id }),
    el("td", { text: proxy.service }),
    el("td", { text: proxy.mode }),
    el("td", {}, connection(proxy)),
    el("td", { className: "mono acked-version", text: proxy.ackedVersion || "—", title: "sent " + (proxy.sentVersion || "nothing yet") }),
    el("td", { className: "mono", text: proxy.configVersion ?? "—" }),
    el("td", {}, syncState(proxy)),
    el("td", {}, time(proxy.lastPushAt ?? proxy.sentAt)),
    el("td", { className: "nack" }, proxy.lastNack
      ? el("span", { text: proxy.lastNack.reason, title: proxy.lastNack.version + " at " + proxy.lastNack.at })
      : muted()),
    el("td", {}, el("button", { className: "small", text: "config dump", onClick: () => showConfigDump(proxy.id) }))));
  document.getElementById("proxies").replaceChildren(...(rows.length ? rows : [emptyRow(10, "No proxies connected yet.")]));
  document.getElementById("proxy-count").textContent = "(" + proxies.length + ")";
}

export function renderConfig(config, messages, edit) {
  const rows = config.resources.map((resource) => {
    const name = resource.metadata.namespace + "/" + resource.metadata.name;
    const hosts = resource.spec.hosts || (resource.spec.host ? [resource.spec.host] : []);
    return el("tr", { className: "resource", data: { kind: resource.kind, name: resource.metadata.name, namespace: resource.metadata.namespace } },
      el("td", { text: resource.kind }),
      el("td", { className: "mono" },
        el("details", {}, el("summary", { text: name }), el("pre", { text: JSON.stringify(resource.spec, null, 2) }))),
      el("td", { className: "mono", text: hosts.join(", ") || "—" }),
      el("td", { className: "mono", text: resource.source }),
      el("td", {}, el("button", { className: "small", text: "edit", onClick: () => edit(resource) })));
  });
  document.getElementById("config-resources").replaceChildren(...(rows.length ? rows : [emptyRow(5, "No config resources.")]));
  document.getElementById("config-summary").textContent =
    `(version ${config.configVersion}, ${config.resources.length} resources)`;

  const rejected = messages.rejected.map((r) => el("div", { className: "rejected", data: { source: r.source } },
    el("p", {}, el("span", { className: "pill bad", text: "refused" }), " ", el("span", { className: "mono", text: r.source })),
    messageTable(r.messages)));
  document.getElementById("config-messages").replaceChildren(
    ...(rejected.length ? rejected : [el("p", { className: "empty", text: "Every file in the watched folder is in force." })]));
}

export async function refreshCertificates() {
  const target = document.getElementById("certificates");
  const count = document.getElementById("certificate-count");
  let certificates;
  try {
    certificates = await getJson("/api/v1/certificates");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      count.textContent = "";
      target.replaceChildren(el("p", { className: "empty", id: "certificates-unavailable", text: "Certificates: not available (this control plane serves no certificate API)." }));
      return;
    }
    throw error;
  }
  const now = new Date();
  const rows = certificates.map((c) => {
    const expired = new Date(c.notAfter) <= now;
    return el("tr", { className: "certificate", data: { proxy: c.proxyId, identity: c.identity } },
      el("td", { className: "mono", text: c.identity }),
      el("td", { className: "mono", text: c.proxyId || "—" }),
      el("td", { className: "mono", text: c.serialNumber }),
      el("td", {}, time(c.issuedAt)),
      el("td", { text: new Date(c.notBefore).toLocaleString(), title: c.notBefore }),
      el("td", { text: new Date(c.notAfter).toLocaleString(), title: c.notAfter }),
      el("td", {}, pill(!expired, "valid", "expired")));
  });
  count.textContent = "(" + certificates.length + ")";
  target.replaceChildren(el("table", { className: "data" },
    el("thead", {}, el("tr", {}, ...["Identity", "Proxy", "Serial", "Issued", "Not before", "Not after", "State"].map((h) => el("th", { text: h })))),
    el("tbody", {}, ...(rows.length ? rows : [emptyRow(7, "No certificates issued yet.")]))));
}

function table(headers, rows) {
  return el("table", { className: "data" },
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { text: h })))),
    el("tbody", {}, ...(rows.length ? rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", { className: "mono", text: c ?? "—" })))) : [emptyRow(headers.length, "None.")])));
}

const matchText = (matches) => (matches || []).map((m) => {
  const parts = [];
  for (const field of ["uri", "method"]) if (m[field]) parts.push(field + " " + Object.entries(m[field]).map(([k, v]) => k + " " + v).join(""));
  for (const [field, label] of [["headers", "header"], ["queryParams", "query"], ["withoutHeaders", "without header"]]) {
    for (const [key, value] of Object.entries(m[field] || {})) parts.push(label + " " + key + " " + Object.entries(value || {}).map(([k, v]) => k + " " + v).join(""));
  }
  return parts.join(", ") || "*";
}).join(" | ") || "*";

const destinationText = (destinations) => (destinations || [])
  .map((d) => (d.service || "?") + (d.subset ? "/" + d.subset : "") + (d.weight !== undefined ? ":" + d.weight : "")).join(", ");

/** The same four views as `meshctl proxy-config`: clusters, endpoints, listeners, routes, plus the raw JSON. */
export function renderConfigDump(proxyId, dump) {
  const clusters = (dump.snapshot && dump.snapshot.clusters) || [];
  const routeTables = (dump.snapshot && dump.snapshot.routeTables) || [];
  const listeners = dump.listeners || [];
  const endpoints = clusters.flatMap((c) => (c.endpoints || []).map((e) => [c.name, e.address, e.proxyId,
    Object.entries(e.labels || {}).map(([k, v]) => k + "=" + v).join(","), e.healthy === undefined ? null : e.healthy ? "HEALTHY" : "UNHEALTHY"]));
  const routes = routeTables.flatMap((t) => (t.routes || []).map((r) => [t.name, r.name, matchText(r.matches), destinationText(r.destinations),
    r.timeoutMs ? r.timeoutMs + "ms" : null]));
  document.getElementById("config-dump").replaceChildren(el("div", { data: { proxy: proxyId } },
    el("h3", { text: "Clusters" }),
    table(["Name", "LB", "Protocol", "Endpoints", "Subsets"], clusters.map((c) => [c.name, c.loadBalancer, c.protocol,
      String((c.endpoints || []).length), (c.subsets || []).map((s) => s.name).join(",")])),
    el("h3", { text: "Endpoints" }),
    table(["Cluster", "Address", "Proxy", "Labels", "Health"], endpoints),
    el("h3", { text: "Listeners" }),
    table(["Name", "Address", "Direction", "Protocol", "Service"], listeners.map((l) => [l.name, l.address, l.direction, l.protocol, l.service])),
    el("h3", { text: "Routes" }),
    table(["Table", "Route", "Match", "Destinations", "Timeout"], routes),
    el("h3", { text: "Raw config dump" }),
    el("details", {}, el("summary", { className: "pad", text: "version " + (dump.version || "none") }),
      el("pre", { id: "config-dump-json", text: JSON.stringify(dump, null, 2) }))));
}
