/**
 * The dashboard page's script (plain browser JavaScript, inlined into the page): reads the SSE
 * stream, keeps the charted points, and draws uPlot charts, tiles and tables. It exposes its
 * charts as `window.tenfold` so a browser test can read what they hold.
 */
export const client = String.raw`(function () {
"use strict";
var MAX_POINTS = 600;
var RETRY_MS = 5000;
var HEIGHT = 200;
var root = document.documentElement;
var state = { points: [], snapshot: null, frames: 0 };
var charts = {};
var hover = {};
window.tenfold = { charts: charts, state: state };

function cssVar(name) { return getComputedStyle(root).getPropertyValue(name).trim(); }
function palette() { return ["--c1", "--c2", "--c3", "--c4", "--c5", "--c6", "--c7"].map(cssVar); }
function alpha(hex, a) {
  var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? "rgba(" + parseInt(m[1], 16) + "," + parseInt(m[2], 16) + "," + parseInt(m[3], 16) + "," + a + ")" : hex;
}
function finite(v) { return typeof v === "number" && isFinite(v); }
function ms(v) {
  if (!finite(v)) return "–";
  if (v === 0) return "0 ms";
  if (v >= 1000) return (v / 1000).toFixed(2) + " s";
  return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + " ms";
}
function rate(v) {
  if (!finite(v)) return "–";
  if (v === 0) return "0";
  if (v >= 10000) return (v / 1000).toFixed(1) + "k";
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
function pct(v) { return finite(v) ? (v * 100).toFixed(v >= 0.1 || v === 0 ? 0 : 1) + "%" : "–"; }
function mib(v) {
  if (!finite(v)) return "–";
  return v >= 1073741824 ? (v / 1073741824).toFixed(2) + " GiB" : (v / 1048576).toFixed(v >= 104857600 ? 0 : 1) + " MiB";
}
function duration(seconds) {
  if (!finite(seconds)) return "";
  var s = Math.floor(seconds), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  return d > 0 ? d + "d " + h + "h" : h > 0 ? h + "h " + m + "m" : m > 0 ? m + "m " + (s % 60) + "s" : (s % 60) + "s";
}
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function names(points, field) {
  var seen = {};
  for (var i = 0; i < points.length; i++) for (var k in points[i][field]) seen[k] = true;
  return Object.keys(seen).sort();
}
function fixed(list) { return function () { return list; }; }

var CHARTS = [
  { id: "latency", title: "Latency", fmt: ms, keys: fixed(["p50", "p95", "p99"]),
    value: function (p, k) { return p[k]; }, now: function (p) { return "p95 " + ms(p.p95); } },
  { id: "throughput", title: "Throughput", fmt: rate, keys: fixed(["requests/s"]),
    value: function (p) { return p.rps; }, now: function (p) { return rate(p.rps) + " req/s"; } },
  { id: "errors", title: "Errors", fmt: rate, keys: fixed(["errors/s"]), bad: "errors/s",
    value: function (p) { return p.errors; }, now: function (p) { return rate(p.errors) + " / s"; } },
  { id: "cache", title: "Cache hit rate", fmt: pct, percent: true, empty: "no cache lookups yet",
    keys: function (points) { var t = names(points, "tiers"); return t.length ? ["all tiers"].concat(t) : []; },
    value: function (p, k) { return k === "all tiers" ? p.hitRate : p.tiers[k]; }, now: function (p) { return pct(p.hitRate); } },
  { id: "pools", title: "Pool & worker utilisation", fmt: pct, percent: true, empty: "no pools reported",
    keys: function (points) { return names(points, "pools"); },
    value: function (p, k) { return p.pools[k]; }, now: function () { return ""; } },
  { id: "process", title: "CPU · memory · event loop", fmt: pct, percent: true, keys: fixed(["cpu", "memory", "event loop"]),
    value: function (p, k) { return k === "event loop" ? p.eventLoop : p[k]; }, now: function (p) { return "cpu " + pct(p.cpu); } }
];

function chartCard(def) {
  var card = el("div", "card");
  var h = el("h2", null, def.title);
  var now = el("span", "now");
  h.appendChild(now);
  card.appendChild(h);
  var body = el("div", "chart");
  card.appendChild(body);
  document.getElementById("charts").appendChild(card);
  return { now: now, body: body, keys: null, plot: null };
}

function build(def, slot, keys) {
  if (slot.plot) { slot.plot.destroy(); slot.plot = null; delete charts[def.id]; }
  slot.body.textContent = "";
  slot.keys = keys.join("\u0000");
  if (keys.length === 0) { slot.body.appendChild(el("div", "empty", def.empty || "no data yet")); return; }
  var colors = palette(), muted = cssVar("--muted"), grid = cssVar("--grid"), bad = cssVar("--bad");
  var series = [{}].concat(keys.map(function (k, i) {
    var stroke = k === def.bad ? bad : colors[i % colors.length];
    return { label: k, stroke: stroke, width: 2, fill: i === 0 ? alpha(stroke, 0.12) : undefined, points: { show: false }, spanGaps: true,
      value: function (u, v) { return v == null ? "–" : def.fmt(v); } };
  }));
  var axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: "12px system-ui, sans-serif" };
  var clock = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  var opts = {
    width: Math.max(slot.body.clientWidth, 200), height: HEIGHT, series: series, legend: { live: true }, padding: [12, 36, 0, 0],
    cursor: { points: { size: 6 } },
    scales: { x: { time: true }, y: { range: def.percent ? [0, 1] : function (u, min, max) { return [0, max > 0 ? max * 1.15 : 1]; } } },
    axes: [Object.assign({}, axis, { space: 70, values: function (u, splits) {
      return splits.map(function (t) { return new Date(t * 1000).toLocaleTimeString([], clock); });
    } }), Object.assign({}, axis, { size: 64, values: function (u, splits) { return splits.map(def.fmt); } })]
  };
  slot.plot = new uPlot(opts, [[]].concat(keys.map(function () { return []; })), slot.body);
  slot.plot.over.addEventListener("mouseenter", function () { hover[def.id] = true; });
  slot.plot.over.addEventListener("mouseleave", function () { hover[def.id] = false; });
  charts[def.id] = slot.plot;
}

var slots = {};
function drawCharts() {
  var points = state.points;
  CHARTS.forEach(function (def) {
    var slot = slots[def.id] || (slots[def.id] = chartCard(def));
    var keys = def.keys(points);
    if (slot.keys !== keys.join("\u0000") || (keys.length > 0 && !slot.plot)) build(def, slot, keys);
    var last = points[points.length - 1];
    slot.now.textContent = last ? def.now(last) : "";
    if (!slot.plot) return;
    var data = [points.map(function (p) { return p.t; })].concat(keys.map(function (k) {
      return points.map(function (p) { var v = def.value(p, k); return finite(v) ? v : null; });
    }));
    slot.plot.setData(data);
    if (!hover[def.id] && points.length > 0) slot.plot.setLegend({ idx: points.length - 1 });
  });
}

function tile(parent, label, value, unit, sub, cls) {
  var t = el("div", "tile" + (cls ? " " + cls : ""));
  t.appendChild(el("div", "label", label));
  var v = el("div", "value", value);
  if (unit) v.appendChild(el("span", "unit", unit));
  t.appendChild(v);
  t.appendChild(el("div", "sub", sub));
  parent.appendChild(t);
}
function split(text) { var i = text.indexOf(" "); return i < 0 ? [text, ""] : [text.slice(0, i), text.slice(i + 1)]; }

// a tile warns while its alert rule fires, so it follows the configured targets (TENFOLD_ALERT_*)
function firing(s, rule) { return s.alerts.some(function (a) { return a.rule === rule; }) ? "warn" : ""; }

function drawTiles(s) {
  var tiles = document.getElementById("tiles");
  tiles.textContent = "";
  var r = s.requests, lat = split(ms(r.p95Ms)), mem = split(mib(s.process.rssBytes));
  var errorRate = r.count > 0 ? r.failures / r.count : 0;
  tile(tiles, "Requests / s", rate(r.perSecond), "", r.successes + " ok · " + r.failures + " failed");
  tile(tiles, "Latency p95", lat[0], lat[1], "p50 " + split(ms(r.p50Ms))[0] + " · p99 " + ms(r.p99Ms), firing(s, "latency_p95"));
  tile(tiles, "Errors", pct(errorRate), "", rate(s.windowSeconds > 0 ? r.failures / s.windowSeconds : 0) + " / s", errorRate > 0.05 ? "bad" : "");
  tile(tiles, "Cache hit rate", pct(s.cache.hitRate), "", s.cache.tiers.length + (s.cache.tiers.length === 1 ? " tier" : " tiers"));
  tile(tiles, "CPU", pct(s.process.cpu), "", "event loop " + pct(s.process.eventLoop), firing(s, "cpu"));
  tile(tiles, "Memory", mem[0], mem[1], "heap " + mib(s.process.heapUsedBytes));
  tile(tiles, "Tasks running", String(s.tasks.concurrent), "", pct(s.tasks.successRate) + " ok · avg " + ms(s.tasks.avgCompletionMs));
}

function row(tbody, cells) {
  var tr = el("tr");
  cells.forEach(function (c) {
    if (c instanceof Node) { var td = el("td"); td.appendChild(c); tr.appendChild(td); }
    else if (c && typeof c === "object") tr.appendChild(el("td", c.cls, c.text));
    else tr.appendChild(el("td", null, String(c)));
  });
  tbody.appendChild(tr);
}
function emptyRow(tbody, columns, text) {
  var tr = el("tr"), td = el("td", "muted", text);
  td.colSpan = columns;
  tr.appendChild(td);
  tbody.appendChild(tr);
}

function drawTables(s) {
  var tools = document.querySelector("#tools tbody");
  tools.textContent = "";
  if (s.tools.length === 0) emptyRow(tools, 8, "no tool calls yet");
  s.tools.slice().sort(function (a, b) { return b.count - a.count; }).forEach(function (t) {
    row(tools, [t.name, t.count, t.successes, { text: String(t.failures), cls: t.failures > 0 ? "bad" : "" }, ms(t.avgMs), ms(t.p50Ms), ms(t.p95Ms), ms(t.p99Ms)]);
  });
  var pools = document.querySelector("#pools tbody");
  pools.textContent = "";
  if (s.pools.length === 0) emptyRow(pools, 5, "no pools reported");
  s.pools.forEach(function (p) {
    var use = el("span"), bar = el("span", "bar"), fill = el("i");
    fill.style.width = Math.min(100, Math.max(0, p.utilisation * 100)) + "%";
    bar.appendChild(fill);
    use.appendChild(bar);
    use.appendChild(document.createTextNode(pct(p.utilisation)));
    row(pools, [p.name, p.active, p.capacity, p.queued, use]);
  });
  var list = document.getElementById("alerts"), count = document.getElementById("alert-count");
  list.textContent = "";
  count.textContent = String(s.alerts.length);
  count.className = s.alerts.length > 0 ? "count bad" : "count";
  if (s.alerts.length === 0) list.appendChild(el("li", "none", "✓ all alert rules hold"));
  s.alerts.forEach(function (a) {
    var li = el("li");
    li.appendChild(el("span", "sev " + a.severity, a.severity));
    var text = el("span");
    text.appendChild(el("strong", null, a.rule + " "));
    text.appendChild(document.createTextNode(a.message));
    li.appendChild(text);
    li.appendChild(el("span", "since", "for " + duration((s.at - a.since) / 1000)));
    list.appendChild(li);
  });
  document.getElementById("uptime").textContent = "up " + duration(s.uptimeSeconds);
}

function render() {
  drawCharts();
  if (state.snapshot) { drawTiles(state.snapshot); drawTables(state.snapshot); }
}

function status(text, cls) {
  document.getElementById("status").textContent = text;
  document.getElementById("live").className = "dot " + cls;
}

function connect() {
  var source = new EventSource(document.body.dataset.events);
  source.addEventListener("history", function (e) {
    var frame = JSON.parse(e.data);
    state.points = frame.points.slice(-MAX_POINTS);
    state.snapshot = frame.snapshot;
    state.frames++;
    render();
  });
  source.addEventListener("tick", function (e) {
    var frame = JSON.parse(e.data);
    state.points.push(frame.point);
    if (state.points.length > MAX_POINTS) state.points.splice(0, state.points.length - MAX_POINTS);
    state.snapshot = frame.snapshot;
    state.frames++;
    status("live · " + new Date(frame.snapshot.at).toLocaleTimeString(), "on");
    render();
  });
  source.onopen = function () { status("live", "on"); };
  source.onerror = function () {
    status("reconnecting…", "off");
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, RETRY_MS);
  };
}

var resizing = 0;
new ResizeObserver(function () {
  cancelAnimationFrame(resizing);
  resizing = requestAnimationFrame(function () {
    CHARTS.forEach(function (def) {
      var slot = slots[def.id];
      if (slot && slot.plot) slot.plot.setSize({ width: Math.max(slot.body.clientWidth, 200), height: HEIGHT });
    });
  });
}).observe(document.getElementById("charts"));
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
  CHARTS.forEach(function (def) { if (slots[def.id]) slots[def.id].keys = "\u0001"; });
  render();
});

render();
connect();
})();
`
