/**
 * Test support: a local OTLP/HTTP receiver (node:http on a free port) that accepts what the
 * OpenTelemetry `-http` exporters send — JSON (`application/json`) to `POST /v1/traces` and
 * `POST /v1/metrics` — keeps the decoded spans and metrics, and lets a test wait, bounded, until
 * what it expects has arrived.
 */
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"

/** One span as OTLP/JSON encodes it (ids as hex strings), with its resource's attributes. */
export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes: Record<string, unknown>
  readonly status: { readonly code?: number; readonly message?: string }
  readonly resource: Record<string, unknown>
}

export interface OtlpReceiver {
  /** Base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly url: string
  readonly spans: () => ReadonlyArray<ReceivedSpan>
  /** Names of every metric received so far. */
  readonly metricNames: () => ReadonlySet<string>
  /** Content types the exporters sent. */
  readonly contentTypes: () => ReadonlySet<string>
  /** Values of header `name` the exporters sent (lower-case name). */
  readonly headerValues: (name: string) => ReadonlySet<string>
  /** Resolves once `check` holds after some export, or rejects after `timeoutMs`. */
  readonly waitFor: (what: string, check: () => boolean, timeoutMs?: number) => Promise<void>
  readonly close: () => Promise<void>
}

/** Largest export body accepted (the exporters batch 512 spans at most). */
const MAX_BODY_BYTES = 16 * 1024 * 1024

type KeyValue = { readonly key: string; readonly value: Record<string, unknown> }

/** OTLP/JSON attribute values: `{ stringValue }`, `{ intValue }` (a string), `{ boolValue }`, … */
const attributes = (list: ReadonlyArray<KeyValue> | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, Object.values(value)[0]]))

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) req.destroy(new Error("export too large"))
      else chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

/** Starts a receiver; `refuse` answers every export with that HTTP status (a collector that rejects them) after recording it. */
export const start = async (options: { readonly refuse?: number } = {}): Promise<OtlpReceiver> => {
  const spans: Array<ReceivedSpan> = []
  const metricNames = new Set<string>()
  const contentTypes = new Set<string>()
  const headers: Array<IncomingMessage["headers"]> = []
  const waiters = new Set<() => void>()
  const server = createServer((req, res) => {
    void body(req).then((text) => {
      contentTypes.add(String(req.headers["content-type"]))
      headers.push(req.headers)
      const json = JSON.parse(text) as Record<string, Array<any>> // any: OTLP/JSON documents, read field by field below
      if (req.method === "POST" && req.url === "/v1/traces") {
        for (const rs of json.resourceSpans ?? []) {
          const resource = attributes(rs.resource?.attributes)
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) spans.push({ ...s, attributes: attributes(s.attributes), status: s.status ?? {}, resource })
          }
        }
      } else if (req.method === "POST" && req.url === "/v1/metrics") {
        for (const rm of json.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) metricNames.add(m.name)
      } else {
        res.writeHead(404).end()
        return
      }
      res.writeHead(options.refuse ?? 200, { "content-type": "application/json" }).end("{}")
      for (const wake of waiters) wake()
    }).catch(() => res.writeHead(400).end())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  const waitFor = (what: string, check: () => boolean, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve()
      const wake = () => {
        if (!check()) return
        waiters.delete(wake)
        clearTimeout(deadline)
        resolve()
      }
      const deadline = setTimeout(() => {
        waiters.delete(wake)
        reject(new Error(`the OTLP receiver did not get ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      waiters.add(wake)
    })
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => spans,
    metricNames: () => metricNames,
    contentTypes: () => contentTypes,
    headerValues: (name) => new Set(headers.map((h) => String(h[name]))),
    waitFor,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
