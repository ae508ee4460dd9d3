// The dashboard's shell: one page per tab (the URL's hash), each polling only while it is shown. Everything it
// shows comes from the control plane's HTTP API, exactly what meshctl and other tools see.
import { getJson } from "./dom.js";
import { renderTopology } from "./topology.js";
import { renderServices, renderProxies, renderConfig, refreshCertificates, renderConfigDump } from "./pages.js";
import { initEditor, editResource } from "./editor.js";

const PAGES = ["topology", "services", "proxies", "config", "editor", "certificates", "config-dump"];
const TOPOLOGY_INTERVAL_MS = 1000;
const TABLES_INTERVAL_MS = 2000;

let proxiesCache = [];

function showConfigDump(proxyId) {
  location.hash = "#config-dump/" + encodeURIComponent(proxyId);
}

const refreshers = {
  topology: async () => {
    const [topology, proxies] = await Promise.all([getJson("/api/v1/topology"), getJson("/api/v1/proxies")]);
    proxiesCache = proxies;
    renderTopology(topology, proxies);
  },
  services: async () => renderServices(await getJson("/api/v1/services")),
  proxies: async () => {
    proxiesCache = await getJson("/api/v1/proxies");
    renderProxies(proxiesCache, showConfigDump);
  },
  config: async () => {
    const [config, messages] = await Promise.all([getJson("/api/v1/config"), getJson("/api/v1/config/messages")]);
    renderConfig(config, messages, editResource);
  },
  editor: async () => {
    const config = await getJson("/api/v1/config");
    document.getElementById("editor-config-version").textContent = "running config version " + config.configVersion;
  },
  certificates: refreshCertificates,
  "config-dump": async () => {
    proxiesCache = await getJson("/api/v1/proxies");
    fillProxySelect();
  },
};

const intervals = { topology: TOPOLOGY_INTERVAL_MS, "config-dump": 5000, certificates: 5000 };

function currentRoute() {
  const [page, ...rest] = location.hash.replace(/^#/, "").split("/");
  return { page: PAGES.includes(page) ? page : "topology", argument: rest.length ? decodeURIComponent(rest.join("/")) : null };
}

function fillProxySelect() {
  const select = document.getElementById("config-dump-proxy");
  const chosen = currentRoute().argument || select.value;
  const ids = proxiesCache.map((p) => p.id);
  if (select.options.length !== ids.length || [...select.options].some((o, i) => o.value !== ids[i])) {
    select.replaceChildren(...ids.map((id) => new Option(id, id)));
  }
  if (chosen && ids.includes(chosen)) select.value = chosen;
}

async function loadConfigDump() {
  const select = document.getElementById("config-dump-proxy");
  const status = document.getElementById("config-dump-status");
  const proxyId = currentRoute().argument || select.value;
  if (!proxyId) {
    status.textContent = "No proxy connected.";
    return;
  }
  status.textContent = "reading " + proxyId + "…";
  try {
    renderConfigDump(proxyId, await getJson("/api/v1/proxies/" + encodeURIComponent(proxyId) + "/config_dump"));
    status.textContent = "read " + new Date().toLocaleTimeString();
  } catch (error) {
    document.getElementById("config-dump").replaceChildren();
    status.textContent = error.message;
  }
}

let timer = null;
let generation = 0;

async function refresh(page) {
  const status = document.getElementById("status");
  try {
    await refreshers[page]();
    status.textContent = "updated " + new Date().toLocaleTimeString();
    status.classList.remove("error");
  } catch (error) {
    status.textContent = "cannot reach the API: " + error.message;
    status.classList.add("error");
  }
}

async function route() {
  const { page } = currentRoute();
  for (const section of document.querySelectorAll("section.page")) section.hidden = section.dataset.page !== page;
  for (const tab of document.querySelectorAll("#tabs a")) tab.classList.toggle("active", tab.dataset.page === page);
  document.body.dataset.page = page;
  clearTimeout(timer);
  const mine = ++generation;
  // One poll loop per shown page; a newer route ends the older loop.
  const loop = async (first) => {
    if (mine !== generation) return;
    await refresh(page);
    if (first && page === "config-dump") await loadConfigDump();
    if (mine === generation && page !== "editor") timer = setTimeout(() => loop(false), intervals[page] || TABLES_INTERVAL_MS);
  };
  await loop(true);
}

initEditor();
document.getElementById("config-dump-proxy").addEventListener("change", (event) => showConfigDump(event.target.value));
document.getElementById("config-dump-refresh").addEventListener("click", loadConfigDump);
window.addEventListener("hashchange", route);
getJson("/api/v1/version").then((v) => { document.getElementById("version").textContent = "v" + v.version; }, () => {});
route();
