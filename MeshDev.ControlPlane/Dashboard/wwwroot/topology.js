// The mesh graph drawn as SVG: workloads grouped by app in columns from the gateway inwards, edges as curves
// labelled with their live numbers. The layout depends only on the nodes and on who calls whom, so the picture
// stays still while the numbers change.
import { svg, el, emptyRow, age, formatRate, formatPercent, formatMs } from "./dom.js";

const COLUMN_WIDTH = 390;
const GROUP_WIDTH = 150;
const NODE_SPACING = 84;
const GROUP_HEADER = 30;
const GROUP_GAP = 28;
const MARGIN = 30;
const RADIUS = 16;
// An edge without requests in the window fades over this long, down to a trace.
const FADE_SECONDS = 60;
const MIN_OPACITY = 0.18;

const groupKey = (node) => (node.kind === "gateway" ? "gateway:" + node.id : node.app || node.id);

/**
 * Columns: gateways first; then each app one column right of the furthest app that calls it, from the traffic
 * seen and from the upstream services each sidecar declares (so the picture has its shape before any traffic).
 */
export function layout(topology, proxies) {
  const groups = new Map();
  for (const node of topology.nodes) {
    const key = groupKey(node);
    if (!groups.has(key)) groups.set(key, { key, label: node.kind === "gateway" ? node.id : key, gateway: node.kind === "gateway", nodes: [] });
    groups.get(key).nodes.push(node);
  }
  const nodeGroup = new Map(topology.nodes.map((n) => [n.id, groupKey(n)]));
  const links = new Set();
  for (const edge of topology.edges) {
    const from = nodeGroup.get(edge.source), to = nodeGroup.get(edge.destination);
    if (from && to && from !== to) links.add(from + "\u0000" + to);
  }
  for (const proxy of proxies || []) {
    if (proxy.mode !== "sidecar") continue;
    const from = (proxy.labels && proxy.labels.app) || proxy.service;
    for (const upstream of proxy.upstreams || []) {
      if (groups.has(from) && groups.has(upstream) && from !== upstream) links.add(from + "\u0000" + upstream);
    }
  }

  const hasGateway = [...groups.values()].some((g) => g.gateway);
  const column = new Map([...groups.values()].map((g) => [g.key, g.gateway ? 0 : hasGateway ? 1 : 0]));
  const pairs = [...links].map((l) => l.split("\u0000"));
  // Longest path from the entry; bounded so that a cycle (a calls b calls a) cannot grow forever.
  for (let round = 0; round < groups.size; round++) {
    let changed = false;
    for (const [from, to] of pairs) {
      if (groups.get(to).gateway) continue;
      if (column.get(to) < column.get(from) + 1) { column.set(to, column.get(from) + 1); changed = true; }
    }
    if (!changed) break;
  }

  const columns = [];
  for (const group of groups.values()) {
    const c = column.get(group.key);
    (columns[c] ||= []).push(group);
  }
  const positions = new Map();
  const boxes = [];
  let height = 0;
  columns.forEach((members, c) => {
    if (!members) return;
    let y = MARGIN;
    members.sort((a, b) => a.key.localeCompare(b.key));
    for (const group of members) {
      group.nodes.sort((a, b) => (a.version || "").localeCompare(b.version || "") || a.id.localeCompare(b.id));
      const x = MARGIN + c * COLUMN_WIDTH;
      const boxHeight = GROUP_HEADER + group.nodes.length * NODE_SPACING;
      boxes.push({ group, x, y, width: GROUP_WIDTH, height: boxHeight });
      group.nodes.forEach((node, i) => positions.set(node.id, { x: x + GROUP_WIDTH / 2, y: y + GROUP_HEADER + i * NODE_SPACING + RADIUS + 8, groupX: x }));
      y += boxHeight + GROUP_GAP;
    }
    height = Math.max(height, y);
  });
  // Room on the right for the loop of an edge that goes back to an earlier column.
  const width = MARGIN * 2 + Math.max(0, columns.length - 1) * COLUMN_WIDTH + GROUP_WIDTH + 110;
  return { positions, boxes, width, height: Math.max(height, 120) };
}

function edgeHealth(edge) {
  if (edge.requestsPerSecond <= 0) return "idle";
  if (edge.errorRate >= 0.1) return "bad";
  if (edge.errorRate > 0) return "warn";
  return "ok";
}

function edgeOpacity(edge, now) {
  if (edge.requestsPerSecond > 0) return 1;
  const idleSeconds = Math.max(0, (now - new Date(edge.lastSeen)) / 1000);
  return Math.max(MIN_OPACITY, 1 - idleSeconds / FADE_SECONDS).toFixed(2);
}

const bezier = (p0, p1, p2, p3, t) => {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
};

function curve(from, to) {
  const start = { x: from.x + RADIUS, y: from.y };
  const end = { x: to.x - RADIUS - 2, y: to.y };
  if (end.x > start.x + 20) {
    const bend = (end.x - start.x) / 2;
    const c1 = { x: start.x + bend, y: start.y }, c2 = { x: end.x - bend, y: end.y };
    // The label sits in the middle of the gap between the two groups, on the curve: edges that fan out from
    // one node (or into one) then have their labels half a node spacing apart.
    const gapMiddle = (from.groupX + GROUP_WIDTH + to.groupX) / 2;
    let low = 0, high = 1;
    for (let i = 0; i < 30; i++) {
      const t = (low + high) / 2;
      if (bezier(start.x, c1.x, c2.x, end.x, t) < gapMiddle) low = t; else high = t;
    }
    const mid = { x: gapMiddle, y: bezier(start.y, c1.y, c2.y, end.y, low) };
    return { d: `M${start.x},${start.y} C${c1.x},${c1.y} ${c2.x},${c2.y} ${end.x},${end.y}`, mid };
  }
  // Same column or backwards: loop out to the right of both nodes.
  const out = Math.max(from.groupX, to.groupX) + GROUP_WIDTH + 60;
  const s = { x: from.x + RADIUS, y: from.y }, e = { x: to.x + RADIUS + 2, y: to.y };
  return { d: `M${s.x},${s.y} C${out},${s.y} ${out},${e.y} ${e.x},${e.y}`, mid: { x: out, y: (s.y + e.y) / 2 } };
}

function edgeLabel(edge, at, now) {
  const idle = edge.requestsPerSecond <= 0;
  const first = idle ? "idle" : `${formatRate(edge.requestsPerSecond)} rps · ${formatPercent(edge.errorRate)} 5xx`;
  const second = idle ? "last request " + age(edge.lastSeen, now) : `p50 ${formatMs(edge.p50Ms)} · p99 ${formatMs(edge.p99Ms)}`;
  const lockWidth = edge.mtls ? 14 : 0;
  const width = Math.max(first.length, second.length) * 6.1 + 12 + lockWidth;
  const x = at.x - width / 2, y = at.y - 17;
  return svg("g", { class: "edge-label" },
    svg("rect", { x, y, width, height: 34, rx: 4 }),
    edge.mtls ? svg("g", { class: "lock" }, svg("title", {}, "mTLS (mutual_tls)"),
      svg("use", { href: "#lock-icon", x: x + 6, y: y + 10, width: 10, height: 12 })) : null,
    svg("text", { x: x + 6 + lockWidth, y: y + 14, class: "edge-rate" }, first),
    svg("text", { x: x + 6 + lockWidth, y: y + 28, class: "edge-latency" }, second));
}

export function renderTopology(topology, proxies) {
  const graph = document.getElementById("topology-graph");
  const { positions, boxes, width, height } = layout(topology, proxies);
  graph.setAttribute("width", width);
  graph.setAttribute("height", height);
  graph.setAttribute("viewBox", `0 0 ${width} ${height}`);
  document.getElementById("topology-empty").hidden = topology.nodes.length > 0;

  document.getElementById("topology-groups").replaceChildren(...boxes.map(({ group, x, y, width: w, height: h }) =>
    svg("g", { class: "group", "data-app": group.label },
      svg("rect", { x, y, width: w, height: h, rx: 8 }),
      svg("text", { x: x + 10, y: y + 19 }, group.gateway ? "gateway" : group.label))));

  document.getElementById("topology-nodes").replaceChildren(...topology.nodes.filter((n) => positions.has(n.id)).map((node) => {
    const { x, y } = positions.get(node.id);
    const shape = node.kind === "gateway"
      ? svg("polygon", { points: `${x},${y - RADIUS - 2} ${x + RADIUS + 2},${y} ${x},${y + RADIUS + 2} ${x - RADIUS - 2},${y}` })
      : svg("circle", { cx: x, cy: y, r: RADIUS });
    return svg("g", {
      class: "node " + (node.healthy ? "healthy" : "unhealthy"),
      "data-id": node.id, "data-kind": node.kind, "data-app": node.app || "", "data-version": node.version || "", "data-healthy": node.healthy,
    },
      svg("title", {}, `${node.workload} (${node.namespace})${node.healthy ? "" : " — not healthy or not connected"}`),
      shape,
      svg("text", { x, y: y + RADIUS + 16, "text-anchor": "middle" }, node.workload),
      svg("text", { x, y: y + RADIUS + 30, "text-anchor": "middle", class: "version" }, node.kind === "gateway" ? "gateway" : node.version || "no version"));
  }));

  const now = new Date(topology.generatedAt);
  document.getElementById("topology-edges").replaceChildren(...topology.edges.filter((e) => positions.has(e.source) && positions.has(e.destination)).map((edge) => {
    const { d, mid } = curve(positions.get(edge.source), positions.get(edge.destination));
    const health = edgeHealth(edge);
    return svg("g", {
      class: "edge " + health, opacity: edgeOpacity(edge, now),
      "data-source": edge.source, "data-destination": edge.destination, "data-rps": edge.requestsPerSecond,
      "data-error-rate": edge.errorRate, "data-p50": edge.p50Ms ?? "", "data-p99": edge.p99Ms ?? "", "data-mtls": edge.mtls,
      "data-last-seen": edge.lastSeen,
    },
      svg("title", {}, `${edge.source} → ${edge.destination}: last request ${age(edge.lastSeen, now)}${edge.mtls ? ", mTLS" : ""}`),
      svg("path", { d, "marker-end": "url(#arrow)" }),
      edgeLabel(edge, mid, now));
  }));

  renderEdgeTable(topology, now);
  const active = topology.edges.filter((e) => e.requestsPerSecond > 0).length;
  document.getElementById("topology-summary").textContent =
    `(${topology.nodes.length} workloads, ${topology.edges.length} edges, ${active} with traffic)`;
  document.getElementById("topology-window").textContent =
    `numbers over the last ${topology.windowSeconds} s · updated ${now.toLocaleTimeString()}`;
}

function renderEdgeTable(topology, now) {
  const rows = topology.edges.map((edge) => el("tr", { className: "edge-row", data: { source: edge.source, destination: edge.destination } },
    el("td", { className: "mono", text: edge.source }),
    el("td", { className: "mono", text: edge.destination }),
    el("td", { className: "num", text: formatRate(edge.requestsPerSecond) }),
    el("td", { className: "num", text: formatPercent(edge.errorRate) }),
    el("td", { className: "num", text: formatMs(edge.p50Ms) }),
    el("td", { className: "num", text: formatMs(edge.p99Ms) }),
    el("td", {}, edge.mtls ? el("span", { className: "pill ok", text: "mutual TLS" }) : el("span", { className: "muted", text: "no" })),
    el("td", { text: age(edge.lastSeen, now), title: edge.lastSeen })));
  document.getElementById("edges").replaceChildren(...(rows.length ? rows : [emptyRow(8, "No traffic seen yet.")]));
}
