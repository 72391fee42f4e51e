/**
 * Runs fuzz cases against the real binary over many keep-alive connections and checks every
 * answer. When the server dies, the requests in flight are replayed one at a time against a
 * fresh server to find the one that kills it; its category is then skipped for the rest of the
 * run, so one crash does not hide the other failures.
 */
import { Agent, request } from "node:http"
import type { TenfoldHttpProcess } from "../support/TenfoldProcess.ts"
import { check, type HttpAnswer, isBusy } from "./Expect.ts"
import { type HttpCase, SESSION, TOKEN } from "./HttpCases.ts"
import { crashLine, type Failure, fold } from "./Report.ts"

/**
 * Environment of every fuzzed server: L1 bounded small and the V8 heap capped, so that neither a
 * configured cache nor garbage V8 has not yet collected hides growth in RSS — a leak shows as
 * growth, or ends the process (out of memory), which the run reports as a crash. glibc's mmap
 * threshold is fixed at 128 KiB: by default it rises after a large buffer is freed, so the
 * next multi-MB request bodies come from the heap and stay in RSS after they are freed (up to
 * 100 MB of allocator high-water, not memory the server holds).
 */
export const FUZZ_SERVER_ENV: Readonly<Record<string, string>> = {
  TENFOLD_CACHE_MEMORY_MAX_BYTES: String(8 * 1024 * 1024),
  NODE_OPTIONS: "--max-old-space-size=192 --max-semi-space-size=4",
  MALLOC_MMAP_THRESHOLD_: String(128 * 1024)
}

/** Largest answer body kept for checking. */
const MAX_ANSWER = 16 * 1024 * 1024

export interface RssSample {
  readonly done: number
  readonly rss: number
  readonly generation: number
}

export interface RunResult {
  readonly sent: number
  readonly skipped: number
  readonly busy: number
  readonly failures: ReadonlyArray<Failure>
  /** How many times the server process died (each culprit kills it twice: in the run and alone). */
  readonly deaths: number
  readonly rss: ReadonlyArray<RssSample>
}

interface Sent {
  readonly answer?: HttpAnswer
  readonly error?: NodeJS.ErrnoException
}

/** A request shown the way a failure report names it. */
export const describeCase = (c: HttpCase): string => {
  const shown = Object.entries(c.headers)
    .filter(([k]) => k.startsWith("mcp-") || ["content-type", "accept", "host", "origin", "last-event-id", "authorization", "content-length"].includes(k))
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" | ") : v}`)
  const extra = Object.keys(c.headers).length - shown.length
  const body = c.body === undefined ? "" : ` ${c.body.toString("utf8")}`
  return fold(`${c.method} ${c.path} [${shown.join("; ")}${extra > 5 ? `; +${extra} headers` : ""}]${body}`)
}

const substitute = (value: string | Array<string>, session: string): string | Array<string> =>
  Array.isArray(value) ? value.map((v) => v.replaceAll(SESSION, session)) : value.replaceAll(SESSION, session)

/** Sends one case; resolves with the answer or the connection error. */
export const send = (agent: Agent, port: number, c: HttpCase, session: string, timeoutMs: number) =>
  new Promise<Sent>((resolve) => {
    const headers: Record<string, string | Array<string>> = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, substitute(v, session)]))
    // node:http frames no body of GET/HEAD/OPTIONS/TRACE/DELETE unless told its length
    if (c.body !== undefined && headers["content-length"] === undefined) headers["content-length"] = String(c.body.length)
    let settled = false
    const done = (sent: Sent) => {
      if (!settled) {
        settled = true
        resolve(sent)
      }
    }
    const req = request({ host: "127.0.0.1", port, method: c.method, path: c.path.replaceAll(SESSION, session), headers, agent }, (res) => {
      const chunks: Array<Buffer> = []
      let size = 0
      const answer = () => ({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") })
      res.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size <= MAX_ANSWER) chunks.push(chunk)
        // a stream that stays open (subscriptions/listen): its first event is the answer
        if (c.expect.firstEventOnly === true && /\n\n/.test(Buffer.concat(chunks).toString("utf8"))) {
          done({ answer: answer() })
          res.destroy()
        }
      })
      res.on("end", () => done({ answer: answer() }))
      res.on("error", (error) => done({ error }))
      res.on("close", () => done(res.complete ? { answer: answer() } : { error: Object.assign(new Error("the answer was cut off"), { code: "ECUTOFF" }) }))
    })
    req.setTimeout(timeoutMs, () => {
      done({ error: Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" }) })
      req.destroy()
    })
    req.on("error", (error) => done({ error }))
    req.end(c.body)
  })

/** Opens a 2025-11-25 session (initialize, then notifications/initialized) and returns its id. */
export const openSession = async (agent: Agent, port: number): Promise<string> => {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${TOKEN}` }
  const init = {
    category: "setup",
    method: "POST",
    path: "/mcp",
    headers,
    body: Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } } })),
    expect: { statuses: [200] }
  }
  const { answer } = await send(agent, port, init, "", 10_000)
  const id = answer?.headers["mcp-session-id"]
  if (typeof id !== "string") throw new Error(`initialize failed: ${answer?.status} ${answer?.body}`)
  await send(agent, port, { ...init, headers: { ...headers, "mcp-session-id": id }, body: Buffer.from(`{"jsonrpc":"2.0","method":"notifications/initialized"}`) }, id, 10_000)
  return id
}

export interface RunOptions {
  /** Starts a fresh server (at the beginning and after each crash). */
  readonly start: () => Promise<TenfoldHttpProcess>
  readonly concurrency: number
  readonly timeoutMs: number
  /** Sessions opened per server for the 2025-11-25 cases. */
  readonly sessions: number
  /** Most crashes before the run gives up (each costs a restart). */
  readonly maxCrashes: number
  /** Take an RSS sample every this many requests. */
  readonly sampleEvery: number
}

/** Runs `cases` (generated lazily by index) and returns every failure found. */
export const runHttp = async (count: number, caseAt: (index: number) => HttpCase, options: RunOptions): Promise<RunResult & { server: TenfoldHttpProcess }> => {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency })
  const failures: Array<Failure> = []
  const crashed = new Set<string>()
  const rss: Array<RssSample> = []
  let generation = 0
  let server = await options.start()
  let sessions = await openSessions(agent, server, options.sessions)
  let next = 0
  let done = 0
  let skipped = 0
  let busy = 0
  let crashes = 0
  let inFlight = 0
  let gaveUp = false
  let recovering: Promise<void> | undefined
  const suspects: Array<HttpCase> = []

  const fail = (c: HttpCase, problem: string) => failures.push({ category: c.category, request: describeCase(c), problem })

  const judge = (c: HttpCase, sent: Sent) => {
    if (sent.answer !== undefined) {
      if (isBusy(sent.answer)) busy++
      const problem = check(c.expect, sent.answer)
      if (problem !== undefined) fail(c, problem)
      return
    }
    const code = sent.error?.code ?? ""
    if (c.expect.resetAllowed === true && ["ECONNRESET", "EPIPE", "ECUTOFF"].includes(code)) return
    fail(c, `no answer: ${code} ${sent.error?.message ?? ""}`.trim())
  }

  const sample = () => {
    const value = server.rss()
    if (value !== undefined) rss.push({ done, rss: value, generation })
  }

  const restart = async () => {
    await server.stop()
    generation++
    server = await options.start()
    sessions = await openSessions(agent, server, options.sessions)
    sample()
  }

  /** After a death: wait for the requests in flight to fail, then find the culprit among them. */
  const recover = async () => {
    await server.exited
    for (let i = 0; i < 500 && inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10))
    const first = crashLine(server.stderr())
    const candidates = suspects.splice(0)
    crashes++
    let reproduced = false
    await restart()
    for (const c of candidates) {
      if (crashed.has(c.category)) continue
      const sent = await send(agent, server.port, c, sessions[0]!, options.timeoutMs)
      if (server.dead() || (sent.answer === undefined && (await exitedWithin(server, 500)))) {
        reproduced = true
        crashed.add(c.category)
        fail(c, `server process exited (${String(await server.exited)}): ${crashLine(server.stderr())}`)
        crashes++
        if (crashes > options.maxCrashes) break
        await restart()
      } else {
        judge(c, sent)
      }
    }
    if (!reproduced) {
      failures.push({
        category: "crash/not-reproduced-alone",
        request: fold(candidates.map((c) => c.category).join(", ")),
        problem: `server process exited with these in flight: ${first}`
      })
    }
    if (crashes > options.maxCrashes) gaveUp = true
  }

  const worker = async () => {
    for (;;) {
      if (recovering !== undefined) await recovering
      if (gaveUp || next >= count) return
      const index = next++
      const c = caseAt(index)
      if (crashed.has(c.category)) {
        skipped++
        continue
      }
      inFlight++
      const sent = await send(agent, server.port, c, sessions[index % sessions.length]!, options.timeoutMs)
      inFlight--
      if (sent.answer === undefined && (server.dead() || (await exitedWithin(server, 200)))) {
        suspects.push(c)
        recovering ??= recover().finally(() => {
          recovering = undefined
        })
        continue
      }
      judge(c, sent)
      if (++done % options.sampleEvery === 0) sample()
    }
  }

  sample()
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  sample()
  agent.destroy()
  if (gaveUp) failures.push({ category: "crash/too-many", request: "", problem: `gave up after ${crashes} crashes; ${count - next} cases not sent` })
  return { sent: next - skipped, skipped: skipped + (count - next), busy, failures, deaths: crashes, rss, server }
}

const exitedWithin = (server: TenfoldHttpProcess, ms: number) =>
  Promise.race([server.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(server.dead()), ms))])

const openSessions = (agent: Agent, server: TenfoldHttpProcess, n: number) =>
  Promise.all(Array.from({ length: n }, () => openSession(agent, server.port)))
