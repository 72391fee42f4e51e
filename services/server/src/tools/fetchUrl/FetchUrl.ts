/**
 * The `fetch_url` implementation: checks the URL, GETs it through the `ConnectionPool` under the
 * SSRF policy (each redirect hop re-checked after DNS), reads at most `maxBytes` while reporting
 * progress, and renders the body by its kind. Every failure is a `ToolError` naming its reason.
 */
import type { ConnectionError, ConnectionPool, StreamedResponse } from "@tenfold/connections"
import { Tool } from "@tenfold/mcp"
import { Duration, Effect, Semaphore, Stream } from "effect"
import { promisify } from "node:util"
import { brotliDecompress, gunzip, inflate } from "node:zlib"
import { decode, kindOf, type Kind, parseContentType, prettyJson, sniff } from "./Content.ts"
import { toMarkdown } from "./Html.ts"
import { DEFAULT_MAX_LENGTH, type FetchUrlInput, type FetchUrlSettings } from "./index.ts"

/**
 * Fetches running at once; more wait (within their timeout). Each holds up to `maxBytes` of body
 * plus its text and Markdown, so this bounds the tool's memory whatever the executor admits.
 */
const MAX_CONCURRENT_FETCHES = 16
/** Redirect hops followed before giving up. */
const MAX_REDIRECTS = 5
/** What a response may be sent as; anything else is still read, by its Content-Type. */
const ACCEPT = "text/html,application/xhtml+xml,application/json;q=0.9,text/*;q=0.8,*/*;q=0.5"
/** A progress notification at most every this many bytes (and every 5 % of a declared length). */
const PROGRESS_EVERY_BYTES = 256 * 1024
/** Longest piece of client or server text quoted back in a message … */
const QUOTE = 200
/** … and of a URL in a result's header lines (a Location may be as long as a header may). */
const QUOTE_URL = 2048

const quote = (text: string, max = QUOTE) => (text.length > max ? `${text.slice(0, max)}…` : text)

const refuse = (message: string) => new Tool.ToolError({ message })

/** The URL to fetch, or why it is refused: only absolute http(s) URLs without credentials (fragments are dropped). */
export const targetOf = (text: string): URL | Tool.ToolError => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return refuse(`not a valid absolute URL: ${quote(text)}`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return refuse(`only http: and https: URLs are fetched, not ${quote(url.protocol)}`)
  }
  if (url.username !== "" || url.password !== "") {
    return refuse("URLs with credentials (user:password@host) are refused: fetch_url sends no credentials")
  }
  url.hash = ""
  return url
}

/** A connection failure as the tool's error, with what to change when a setting decides it. */
const failureOf = (error: ConnectionError, settings: FetchUrlSettings): Tool.ToolError => {
  switch (error._tag) {
    case "RefusedAddress":
      return refuse(`${error.reason}; the server allows more with --fetch-allow-private or --fetch-allow-host`)
    case "TooLarge":
      return refuse(`the response is larger than the limit of ${settings.maxBytes} bytes (--fetch-max-bytes); not read further`)
    case "TooManyRedirects":
      return refuse(`more than ${MAX_REDIRECTS} redirects (loop?) from ${quote(error.url)}`)
    default:
      return refuse(quote(error.message, 2 * QUOTE))
  }
}

/** Sends `notifications/progress` as bytes arrive: every 256 KiB, or every 5 % of a declared length if that is sooner, and at its end. */
const progressReporter = (ctx: Tool.ToolContext, total: number | undefined) => {
  const step = total === undefined ? PROGRESS_EVERY_BYTES : Math.max(1, Math.min(PROGRESS_EVERY_BYTES, Math.ceil(total / 20)))
  let reported = 0
  return (received: number) => {
    if (received - reported < step && received !== total) return Effect.void
    reported = received
    const of = total === undefined ? "" : ` of ${total}`
    return ctx.progress(received, total, `${received}${of} bytes`)
  }
}

/** The body, read to its end (the pool fails it past `maxBytes`), reporting progress. */
const readBody = (response: StreamedResponse, ctx: Tool.ToolContext) =>
  Effect.gen(function*() {
    const chunks: Array<Uint8Array> = []
    let received = 0
    const report = progressReporter(ctx, response.contentLength)
    yield* Stream.runForEach(response.body, (chunk) => {
      chunks.push(chunk)
      received += chunk.length
      return report(received)
    })
    return Buffer.concat(chunks, received)
  })

type Decoder = (body: Uint8Array, options: { maxOutputLength: number }) => Promise<Uint8Array>
const gunzipAsync: Decoder = promisify(gunzip)

/** Decoders of the Content-Encodings a server may use although none was asked for (no Accept-Encoding is sent); they run on libuv's thread pool, not the event loop. */
const DECODERS: ReadonlyMap<string, Decoder> = new Map([
  ["gzip", gunzipAsync],
  ["x-gzip", gunzipAsync],
  ["deflate", promisify(inflate)],
  ["br", promisify(brotliDecompress)]
])

/** `body` decoded by its Content-Encoding, at most `maxBytes` of output (a compression bomb stops there). */
const decompress = (body: Uint8Array, encoding: string | undefined, maxBytes: number): Effect.Effect<Uint8Array, Tool.ToolError> => {
  const decoder = encoding === undefined || encoding === "identity" ? undefined : DECODERS.get(encoding)
  if (decoder === undefined) return Effect.succeed(body)
  return Effect.tryPromise({
    try: () => decoder(body, { maxOutputLength: maxBytes }),
    catch: (error) =>
      refuse(
        (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE"
          ? `the response decompresses to more than the limit of ${maxBytes} bytes (--fetch-max-bytes)`
          : `the response's ${encoding} content could not be decompressed`
      )
  })
}

/** A fetched body as text: Markdown, pretty JSON or as decoded, with a title and notes when there are any. */
interface Rendered {
  readonly title: string | undefined
  readonly text: string
  /** True when there may be more text past what was converted (HTML is converted only as far as asked). */
  readonly partial: boolean
  readonly notes: ReadonlyArray<string>
  readonly charset: string
}

const render = (body: Uint8Array, kind: Exclude<Kind, "binary">, declaredCharset: string | undefined, url: URL, wanted: number) =>
  Effect.gen(function*() {
    const { charset, text } = decode(body, declaredCharset, kind)
    switch (kind) {
      case "html": {
        const converted = yield* toMarkdown(text, url, wanted)
        return { title: converted.title, text: converted.markdown, partial: converted.partial, notes: [], charset }
      }
      case "json": {
        const json = prettyJson(text, wanted)
        return { title: undefined, text: json.text, partial: json.partial, notes: json.note === undefined ? [] : [json.note], charset }
      }
      case "text":
        return { title: undefined, text, partial: false, notes: [], charset }
    }
  }) satisfies Effect.Effect<Rendered>

const describeSize = (bytes: number | undefined) => (bytes === undefined ? "size not given" : `${bytes} bytes`)

/** Lines of a result's header, those that apply. */
const header = (lines: ReadonlyArray<string | undefined>) => lines.filter((line) => line !== undefined).join("\n")

/** The tool's result: one text block, an error when the server answered 400 or above. */
const result = (text: string, status: number) => ({ content: [{ type: "text" as const, text }], isError: status >= 400 })

/** The handler of `fetch_url`, over `pool` with `settings`; at most {@link MAX_CONCURRENT_FETCHES} of its calls fetch at once. */
export const handler = (pool: ConnectionPool["Service"], settings: FetchUrlSettings) => {
  const fetching = Semaphore.makeUnsafe(MAX_CONCURRENT_FETCHES)
  return (input: FetchUrlInput, ctx: Tool.ToolContext) => fetchOne(pool, settings, input, ctx).pipe(fetching.withPermits(1), withTimeout(settings, input))
}

const withTimeout = (settings: FetchUrlSettings, input: FetchUrlInput) =>
  Effect.timeoutOrElse({
    duration: Duration.millis(settings.timeoutMs),
    orElse: () => Effect.fail(refuse(`fetching ${quote(input.url)} took longer than ${settings.timeoutMs} ms (--fetch-timeout-ms)`))
  })

/** One call: the URL checked, fetched under the policy, read within the limit and rendered. */
const fetchOne = (pool: ConnectionPool["Service"], settings: FetchUrlSettings, input: FetchUrlInput, ctx: Tool.ToolContext) =>
  Effect.gen(function*() {
    const url = targetOf(input.url)
    if (url instanceof Tool.ToolError) return yield* url
    const maxLength = input.maxLength ?? DEFAULT_MAX_LENGTH
    const startIndex = input.startIndex ?? 0
    const response = yield* pool.stream({
      url,
      headers: { "user-agent": settings.userAgent, accept: ACCEPT },
      maxBytes: settings.maxBytes,
      timeoutMs: settings.timeoutMs,
      maxRedirects: MAX_REDIRECTS,
      retries: 1,
      addressFilter: settings.policy
    }).pipe(Effect.mapError((error) => failureOf(error, settings)))
    const media = parseContentType(response.headers["content-type"])
    const encoding = response.headers["content-encoding"]?.trim().toLowerCase()
    const source = header([
      `URL: ${quote(response.url, QUOTE_URL)}`,
      response.redirects.length === 0 ? undefined : `Redirected from: ${quote(response.redirects[0]!, QUOTE_URL)}`,
      `Status: ${response.status}`
    ])
    const declared = kindOf(media.type)
    const unknownEncoding = encoding !== undefined && encoding !== "identity" && !DECODERS.has(encoding)
    if (declared === "binary" || unknownEncoding) {
      // not text, or encoded in a way fetch_url cannot undo: described, never read
      const what = unknownEncoding ? `${media.type ?? "content"} encoded as ${quote(encoding)}` : media.type!
      return result(
        `${source}\nContent-Type: ${quote(what)}, ${describeSize(response.contentLength)}\n\nNot shown: fetch_url returns text (HTML, JSON, text/*), not ${quote(what)}.`,
        response.status
      )
    }
    const received = yield* readBody(response, ctx).pipe(Effect.mapError((error) => failureOf(error, settings)))
    const body = yield* decompress(received, encoding, settings.maxBytes)
    const kind = declared ?? sniff(body)
    if (kind === "binary") {
      return result(`${source}\nContent-Type: not given, ${body.length} bytes\n\nNot shown: the content is not text.`, response.status)
    }
    const rendered = yield* render(body, kind, media.charset, new URL(response.url), startIndex + maxLength)
    const shown = rendered.text.slice(startIndex, startIndex + maxLength)
    const end = startIndex + shown.length
    const more = end < rendered.text.length || rendered.partial
    const text = header([
      rendered.title === undefined ? undefined : `# ${rendered.title}`,
      source,
      `Content-Type: ${media.type ?? `${kind} (not given)`}; charset ${rendered.charset}, ${body.length} bytes`,
      ...rendered.notes.map((note) => `Note: ${note}`),
      startIndex === 0 && !more ? undefined : `Showing characters ${startIndex}–${end}${more ? `; more follows: call again with startIndex ${end}` : " (the end)"}`
    ])
    return result(`${text}\n\n${shown}`, response.status)
  }).pipe(Effect.scoped)
