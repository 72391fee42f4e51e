/**
 * Runs stdio fuzz cases against `tenfold --stdio` in lockstep: each case's lines, then a `ping`
 * sentinel; answers with id null that arrive before the sentinel's belong to the case, answers
 * with the case's id may come later (calls run as fibers) and must come exactly once.
 */
import { startStdio, type TenfoldProcess } from "../support/TenfoldProcess.ts"
import { malformedResponse } from "./Expect.ts"
import { FUZZ_SERVER_ENV, type RssSample } from "./HttpRun.ts"
import { crashLine, type Failure, fold } from "./Report.ts"
import type { StdioCase } from "./StdioCases.ts"

interface Live {
  readonly proc: TenfoldProcess
  /** Answers by id (JSON-encoded), in arrival order. */
  readonly byId: Map<string, Array<Record<string, unknown>>>
  nulls: Array<Record<string, unknown>>
  garbage: Array<string>
  wake: () => void
}

const INIT = `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n`

const launch = (args: ReadonlyArray<string>): Live => {
  const proc = startStdio({ args, env: FUZZ_SERVER_ENV })
  const live: Live = { proc, byId: new Map(), nulls: [], garbage: [], wake: () => {} }
  let buffer = ""
  proc.child.stdout.on("data", (d: Buffer) => {
    buffer += d.toString("utf8")
    let nl: number
    while ((nl = buffer.indexOf("\n")) !== -1) {
      const text = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      let message: unknown
      try {
        message = JSON.parse(text)
      } catch {
        live.garbage.push(text)
        continue
      }
      const m = message as Record<string, unknown>
      if (typeof m.method === "string") continue // a notification or a server→client request
      if (m.id === null || m.id === undefined) live.nulls.push(m)
      else {
        const key = JSON.stringify(m.id)
        live.byId.set(key, [...(live.byId.get(key) ?? []), m])
      }
    }
    live.wake()
  })
  proc.child.stdin.on("error", () => {}) // writing to a process that died: seen as its exit
  proc.child.stdin.write(INIT)
  return live
}

const waitFor = (live: Live, ready: () => boolean, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (ready()) return resolve(true)
    const timer = setTimeout(() => resolve(ready()), ms)
    live.wake = () => {
      if (ready()) {
        clearTimeout(timer)
        resolve(true)
      }
    }
    void live.proc.exited.then(() => {
      clearTimeout(timer)
      resolve(ready())
    })
  })

const outcomeOf = (m: Record<string, unknown>) => ("result" in m ? "result" : (m.error as { code: number } | undefined)?.code)

export const describeStdio = (c: StdioCase) => fold(c.lines.map((l) => l.toString("utf8")).join(" ⏎ "))

/**
 * Runs `count` cases against a server started with `args`; a case that kills the process is a
 * failure, its category is skipped afterwards.
 */
export const runStdio = async (count: number, caseAt: (index: number) => StdioCase, timeoutMs: number, args: ReadonlyArray<string> = []) => {
  const failures: Array<Failure> = []
  const crashed = new Set<string>()
  const rss: Array<RssSample> = []
  let generation = 0
  let live = launch(args)
  let skipped = 0
  let deaths = 0
  await waitFor(live, () => live.byId.has(`"init"`), timeoutMs)
  rss.push({ done: 0, rss: live.proc.rss() ?? 0, generation })

  for (let i = 0; i < count; i++) {
    const c = caseAt(i)
    if (crashed.has(c.category)) {
      skipped++
      continue
    }
    const fail = (problem: string) => failures.push({ category: c.category, request: describeStdio(c), problem })
    const sentinel = JSON.stringify(`sentinel-${i}`)
    live.nulls = []
    for (const l of c.lines) live.proc.child.stdin.write(Buffer.concat([l, Buffer.from("\n")]))
    live.proc.child.stdin.write(`{"jsonrpc":"2.0","id":${sentinel},"method":"ping"}\n`)
    const idKey = c.id === undefined ? undefined : JSON.stringify(c.id)
    await waitFor(live, () => live.byId.has(sentinel) && (idKey === undefined || live.byId.has(idKey)), timeoutMs)
    const idKeys = [...(idKey === undefined ? [] : [idKey]), ...(c.ids ?? []).map((id) => JSON.stringify(id))]
    // one failure per case and problem, however many ids share it (a case may carry hundreds)
    const problems = new Map<string, number>()
    const note = (problem: string) => problems.set(problem, (problems.get(problem) ?? 0) + 1)
    if (live.proc.dead()) {
      deaths++
      crashed.add(c.category)
      fail(`server process exited (${String(await live.proc.exited)}): ${crashLine(live.proc.stderr())}`)
      generation++
      await live.proc.stop()
      live = launch(args)
      await waitFor(live, () => live.byId.has(`"init"`), timeoutMs)
      continue
    }
    if (!live.byId.has(sentinel)) fail(`no answer to the ping after it within ${timeoutMs} ms`)
    const nulls = live.nulls
    if (nulls.length !== c.nulls) fail(`${nulls.length} answers with id null (expected ${c.nulls}): ${fold(JSON.stringify(nulls), 160)}`)
    for (const m of nulls) {
      const bad = malformedResponse(m) ?? (c.outcomes.includes(outcomeOf(m)!) ? undefined : `answered ${outcomeOf(m)} (expected ${c.outcomes.join("|")})`)
      if (bad !== undefined) fail(bad)
    }
    for (const key of idKeys) {
      const answers = live.byId.get(key) ?? []
      if (answers.length === 0) note(key === idKey ? `no answer with id ${key} within ${timeoutMs} ms` : "an id of the case got no answer before the ping after it")
      for (const m of answers) {
        const bad = malformedResponse(m) ?? (c.outcomes.includes(outcomeOf(m)!) ? undefined : `answered ${outcomeOf(m)} (expected ${c.outcomes.join("|")})`)
        if (bad !== undefined) note(bad)
      }
      live.byId.delete(key)
    }
    for (const [problem, n] of problems) fail(n === 1 ? problem : `${problem} (${n} ids)`)
    live.byId.delete(sentinel)
    if (live.garbage.length > 0) fail(`non-JSON on stdout: ${fold(live.garbage.splice(0).join(" | "), 160)}`)
    if ((i + 1) % 250 === 0) rss.push({ done: i + 1, rss: live.proc.rss() ?? 0, generation })
  }
  // answers checked are removed: anything left is a second answer or an answer to no request
  await new Promise((r) => setTimeout(r, 200))
  for (const [id, answers] of live.byId) {
    if (id !== `"init"`) failures.push({ category: "stdio/unexpected-answers", request: id, problem: `${answers.length} answers with id ${id} after its case was checked` })
  }
  rss.push({ done: count, rss: live.proc.rss() ?? 0, generation })
  return { failures, skipped, deaths, rss, proc: live.proc }
}
