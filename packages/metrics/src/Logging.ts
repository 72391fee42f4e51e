/**
 * Tenfold's log formats on stderr: `human` (Effect's default logger, as before) or `json` — one
 * JSON object per line with `time`, `level`, `message`, and, inside a tool call, its `requestId`,
 * `tool`, and the `traceId`/`spanId` of its span (or of the client's span when tracing is off),
 * then any other annotations. stdout is never written (it carries the protocol in `--stdio` mode).
 */
import { Context, Formatter, Layer, Logger, References, Tracer } from "effect"

/** The log formats `--log-format` accepts. */
export const LOG_FORMATS = ["human", "json"] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** The levels `--log-level` accepts, most severe first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const
export type Level = (typeof LOG_LEVELS)[number]

const effectLevels = { error: "Error", warn: "Warn", info: "Info", debug: "Debug" } as const

/** Fields a JSON line sets itself; an annotation of the same name does not replace them. */
const RESERVED = new Set(["time", "level", "message", "traceId", "spanId", "cause", "fiber"])

/** One log record as a JSON line (with its newline). Never throws: circular values are cut, odd ones stringified. */
export const jsonLine = (record: {
  readonly time: string
  readonly level: string
  readonly message: unknown
  readonly span?: Tracer.AnySpan | undefined
  readonly annotations?: Readonly<Record<string, unknown>> | undefined
  readonly cause?: string | undefined
  readonly fiber?: string | undefined
}): string => {
  const line: Record<string, unknown> = { time: record.time, level: record.level, message: record.message }
  if (record.span !== undefined) {
    line.traceId = record.span.traceId
    line.spanId = record.span.spanId
  }
  if (record.annotations !== undefined) {
    for (const key in record.annotations) if (!RESERVED.has(key)) line[key] = record.annotations[key]
  }
  if (record.cause !== undefined) line.cause = record.cause
  if (record.fiber !== undefined) line.fiber = record.fiber
  return `${Formatter.formatJson(line)}\n`
}

/** A JSON-lines logger handing each line to `write` (with its newline). */
export const makeJsonLogger = (write: (line: string) => void): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    const structured = Logger.formatStructured.log(options)
    write(jsonLine({
      time: structured.timestamp,
      level: structured.level,
      message: structured.message,
      span: Context.getOrUndefined(options.fiber.context, Tracer.ParentSpan),
      annotations: structured.annotations,
      cause: structured.cause,
      fiber: structured.fiberId
    }))
  })

/** The JSON-lines logger of `--log-format json`: one line per log on stderr, written synchronously. */
const jsonLogger: Logger.Logger<unknown, void> = makeJsonLogger((line) => void process.stderr.write(line))

/** Logging as configured: the JSON logger in place of the default one for `json`, and the least severe level logged. */
export const layer = (options: { readonly logFormat: LogFormat; readonly logLevel: Level }): Layer.Layer<never> =>
  Layer.merge(
    options.logFormat === "json" ? Logger.layer([jsonLogger]) : Layer.empty,
    Layer.succeed(References.MinimumLogLevel, effectLevels[options.logLevel])
  )

/** A line for the operator outside any fiber (start-up, shutdown), in `format`, with its newline. */
export const operatorLine = (format: LogFormat, message: string, level: "INFO" | "WARN" | "ERROR" = "INFO"): string =>
  format === "json" ? jsonLine({ time: new Date().toISOString(), level, message }) : `${message}\n`
