/** The dashboard page's style sheet: light and dark (follows the system), large readable numbers. */
export const style = String.raw`
:root {
  --bg: #f5f7fb; --card: #ffffff; --text: #1c2434; --muted: #6b7689; --line: #e3e8f0; --grid: rgba(28,36,52,.07);
  --ok: #12a150; --warn: #d98b00; --bad: #e5484d;
  --c1: #3e7bfa; --c2: #9b5de5; --c3: #f15bb5; --c4: #00b5ad; --c5: #f08c00; --c6: #5c7cfa; --c7: #2f9e44;
  --shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.08);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #8b96a5; --line: #262d36; --grid: rgba(230,237,243,.07);
    --ok: #3fb950; --warn: #e3b341; --bad: #f85149;
    --c1: #58a6ff; --c2: #bc8cff; --c3: #ff7eb6; --c4: #39d0c8; --c5: #ffa657; --c6: #91a7ff; --c7: #56d364;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { display: flex; align-items: center; justify-content: space-between; padding: 14px 24px;
  border-bottom: 1px solid var(--line); background: var(--card); position: sticky; top: 0; z-index: 2; }
.brand { font-weight: 650; font-size: 17px; letter-spacing: .2px; }
.logo { display: inline-block; padding: 2px 7px; margin-right: 6px; border-radius: 7px; color: #fff;
  background: linear-gradient(135deg, var(--c1), var(--c2)); font-size: 13px; }
.muted { color: var(--muted); font-weight: 400; }
.status { display: flex; gap: 10px; align-items: center; color: var(--muted); font-variant-numeric: tabular-nums; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--warn); }
.dot.on { background: var(--ok); box-shadow: 0 0 0 3px color-mix(in srgb, var(--ok) 25%, transparent); }
.dot.off { background: var(--bad); }
main { padding: 20px 24px 32px; max-width: 1600px; margin: 0 auto; display: flex; flex-direction: column; gap: 16px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.tile, .card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; box-shadow: var(--shadow); }
.tile { padding: 12px 16px; }
.tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .6px; }
.tile .value { font-size: 28px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.25; margin-top: 2px; }
.tile .unit { font-size: 14px; color: var(--muted); font-weight: 500; margin-left: 3px; }
.tile .sub { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tile.bad .value { color: var(--bad); }
.tile.warn .value { color: var(--warn); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.card { padding: 14px 16px 10px; min-width: 0; }
.card h2 { margin: 0 0 8px; font-size: 13px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .6px;
  display: flex; align-items: center; gap: 8px; }
.card h2 .now { margin-left: auto; text-transform: none; letter-spacing: 0; color: var(--text); font-variant-numeric: tabular-nums; font-weight: 600; }
.count { background: var(--line); color: var(--text); border-radius: 10px; padding: 0 8px; font-size: 12px; }
.count.bad { background: var(--bad); color: #fff; }
.chart { width: 100%; min-height: 200px; }
.empty { color: var(--muted); padding: 70px 0; text-align: center; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: right; color: var(--muted); font-weight: 500; font-size: 12px; padding: 6px 8px; border-bottom: 1px solid var(--line); }
td { text-align: right; padding: 7px 8px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
td:first-child { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
tbody tr:last-child td { border-bottom: 0; }
td.muted { font-family: inherit; color: var(--muted); text-align: left; }
td.bad { color: var(--bad); font-weight: 600; }
.bar { display: inline-block; width: 70px; height: 6px; border-radius: 3px; background: var(--line); vertical-align: middle; margin-right: 6px; overflow: hidden; }
.bar > i { display: block; height: 100%; background: var(--c1); }
.alerts { list-style: none; margin: 0; padding: 0; }
.alerts li { display: flex; gap: 10px; align-items: baseline; padding: 7px 0; border-bottom: 1px solid var(--line); }
.alerts li:last-child { border-bottom: 0; }
.alerts .none { color: var(--ok); }
.sev { font-size: 11px; font-weight: 700; text-transform: uppercase; border-radius: 6px; padding: 1px 7px; color: #fff; background: var(--muted); }
.sev.warning { background: var(--warn); } .sev.critical { background: var(--bad); } .sev.info { background: var(--c1); }
.alerts .since { margin-left: auto; color: var(--muted); font-size: 12px; white-space: nowrap; }
.u-legend { font-size: 12px; color: var(--text); }
.u-legend .u-marker { border-radius: 3px; }
.u-legend th { text-align: left; color: var(--text); border: 0; padding: 0 6px 0 0; font-weight: 500; }
.u-legend td { text-align: left; border: 0; padding: 0 14px 0 0; font-variant-numeric: tabular-nums; }
.u-legend .u-series:first-child { display: none; }
`
