/**
 * `fetch_url`: GET a web page or API response through the runtime's `ConnectionPool` and answer
 * it as readable text (HTML as Markdown, JSON pretty-printed). The tool needs the pool, so a
 * layer registers it once the runtime is built; its implementation (and node-html-markdown) is
 * imported on the first call.
 */
import { AddressPolicy, ConnectionPool } from "@tenfold/connections"
import { Tool, ToolRegistry } from "@tenfold/mcp"
import { Config } from "@tenfold/runtime"
import { Effect, Layer, Schema } from "effect"

/** Longest URL accepted, in characters. */
const MAX_URL_LENGTH = 8192
/** Most characters of text one call returns (the `maxLength` argument's ceiling). */
const MAX_LENGTH_CEILING = 1_000_000
/** Characters returned when the call does not say (`maxLength`). */
export const DEFAULT_MAX_LENGTH = 100_000

const FetchUrlInput = Schema.Struct({
  url: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(MAX_URL_LENGTH)).annotate({
    description: "The http: or https: URL to GET"
  }),
  maxLength: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_LENGTH_CEILING })).annotate({
      description: `Most characters of text to return (default ${DEFAULT_MAX_LENGTH})`
    })
  ),
  startIndex: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100_000_000 })).annotate({
      description: "Character to start at, to read on where a previous call stopped (default 0)"
    })
  )
})
/** The arguments of one `fetch_url` call, decoded. */
export type FetchUrlInput = typeof FetchUrlInput.Type

/** How `fetch_url` fetches: which addresses it may reach, how much it reads, how long it waits, who it says it is. */
export interface FetchUrlSettings {
  /** The SSRF policy every connection (and redirect hop) must pass; build it once, it keys the pool's connections. */
  readonly policy: AddressPolicy.AddressPolicy
  /** Largest body read, in bytes; a larger one answers an error without being read further. */
  readonly maxBytes: number
  /** Longest a whole fetch (redirects and body included) may take. */
  readonly timeoutMs: number
  /** The User-Agent header sent, e.g. `Tenfold/0.1.0 (fetch_url)`. */
  readonly userAgent: string
}

/** What configures `fetch_url`: the runtime's `fetch*` settings ({@link fetchUrlOptions}). */
export interface FetchUrlOptions {
  readonly allowPrivate: boolean
  readonly allowedHosts: ReadonlyArray<string>
  readonly maxBytes: number
  readonly timeoutMs: number
  /** The server's version, named in the User-Agent. */
  readonly version: string
}

/** The `fetch_url` options a runtime configuration sets, for a server of version `version`. */
export const fetchUrlOptions = (config: Config.Config, version: string): FetchUrlOptions => ({
  allowPrivate: config.fetchAllowPrivate,
  allowedHosts: config.fetchAllowedHosts,
  maxBytes: config.fetchMaxBytes,
  timeoutMs: config.fetchTimeoutMs,
  version
})

/** Compiles `options` into settings, or fails naming the bad allowed-host entry (reported at start like any bad setting). */
export const settingsOf = (options: FetchUrlOptions): Effect.Effect<FetchUrlSettings, Config.ConfigError> => {
  const policy = AddressPolicy.make({ allowPrivate: options.allowPrivate, allowedHosts: options.allowedHosts })
  return policy instanceof AddressPolicy.InvalidAllowedHost
    ? Effect.fail(new Config.ConfigError({ source: "fetchAllowedHosts", message: policy.message }))
    : Effect.succeed({
      policy,
      maxBytes: options.maxBytes,
      timeoutMs: options.timeoutMs,
      userAgent: `Tenfold/${options.version} (fetch_url; +https://github.com/tenfold)`
    })
}

/** The `fetch_url` tool over `pool`. */
export const fetchUrlTool = (pool: ConnectionPool["Service"], settings: FetchUrlSettings) =>
  Tool.make({
    name: "fetch_url",
    title: "Fetch a URL",
    description:
      "Fetches an http(s) URL with GET and returns its content as text: HTML pages as readable Markdown (title first; scripts, styles and navigation left out), JSON pretty-printed, other text as is; other content types are described (type and size), not returned. Long content is cut at maxLength characters; call again with startIndex to read on. Private, loopback and link-local addresses are refused unless the server allows them.",
    input: FetchUrlInput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    // private scope (the default): a page depends only on its URL, but a shared entry would tell one
    // caller which URLs another fetched in the last few minutes
    cache: { ttl: "5 minutes" },
    load: () => import("./FetchUrl.ts").then((m) => m.handler(pool, settings))
  })

/** Registers `fetch_url` in the runtime's `ToolRegistry`, over its `ConnectionPool`. */
export const fetchUrlLayer = (options: FetchUrlOptions) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const settings = yield* settingsOf(options)
    const pool = yield* ConnectionPool
    const registry = yield* ToolRegistry
    yield* registry.register(fetchUrlTool(pool, settings))
  }))
