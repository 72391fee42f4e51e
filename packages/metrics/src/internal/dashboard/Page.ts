/**
 * The dashboard page as one HTML document: its style, uPlot (script and style, read from the
 * installed `uplot` package, never fetched from a CDN) and the page script inline, under a
 * Content-Security-Policy that allows exactly those scripts and connections to this origin.
 */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { client } from "./Client.ts"
import { style } from "./Style.ts"

/** The page's bytes and response headers. */
export interface Page {
  readonly body: Buffer
  readonly headers: Readonly<Record<string, string | number>>
}

/**
 * uPlot's script and style, resolved from this module the way Node resolves a dependency, so
 * it works from the package's build and from a bundle beside a `node_modules` that holds uplot.
 */
const uplot = () => {
  const require = createRequire(import.meta.url)
  const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), "utf8")
  return { script: read("uPlot.iife.min.js"), style: read("uPlot.min.css") }
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`

/** The page whose script reads `eventsPath`; built on first use (uPlot is read from disk once). */
export const page = (eventsPath: string): () => Page => {
  let built: Page | undefined
  return () => {
    if (built !== undefined) return built
    const lib = uplot()
    const body = Buffer.from(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Tenfold dashboard</title>
<style>${lib.style}</style>
<style>${style}</style>
</head>
<body data-events="${escapeHtml(eventsPath)}">
<header>
  <div class="brand"><span class="logo">10×</span> Tenfold <span class="muted">dashboard</span></div>
  <div class="status"><span id="live" class="dot"></span><span id="status">connecting…</span><span class="muted" id="uptime"></span></div>
</header>
<main>
  <section class="tiles" id="tiles"></section>
  <section class="grid" id="charts"></section>
  <section class="grid two">
    <div class="card"><h2>Active alerts <span class="count" id="alert-count">0</span></h2><ul id="alerts" class="alerts"></ul></div>
    <div class="card"><h2>Pools</h2><table id="pools"><thead><tr><th>pool</th><th>active</th><th>capacity</th><th>queued</th><th>use</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section class="card"><h2>Tools</h2><table id="tools"><thead><tr><th>tool</th><th>calls</th><th>ok</th><th>failed</th><th>avg</th><th>p50</th><th>p95</th><th>p99</th></tr></thead><tbody></tbody></table></section>
</main>
<script>${lib.script}</script>
<script>${client}</script>
</body>
</html>
`)
    const csp = [
      "default-src 'none'",
      `script-src ${sha256(lib.script)} ${sha256(client)}`,
      "style-src 'unsafe-inline'",
      "connect-src 'self'",
      "img-src data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'"
    ].join("; ")
    built = {
      body,
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-length": body.length,
        "cache-control": "no-store",
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer"
      }
    }
    return built
  }
}
