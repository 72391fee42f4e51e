/**
 * Fuzz test of the `tenfold` binary over HTTP (issue 6): ≥ 20,000 generated bad requests of
 * both revisions over keep-alive connections; each must get a well-formed answer with the right
 * status and JSON-RPC code, none a 5xx, the process must stay alive, and its resident memory
 * must stay bounded — also under thousands of requests that differ only in a client-chosen
 * string. Seeded: the seed is printed, `FUZZ_SEED=<seed>` replays a run.
 */
import { describe, expect, it } from "vitest"
import { startHttp } from "../support/TenfoldProcess.ts"
import { httpCase, TOKENS_ENV } from "./HttpCases.ts"
import { FUZZ_SERVER_ENV, type RssSample, runHttp } from "./HttpRun.ts"
import { memorySteps } from "./MemoryCases.ts"
import { fuzzSeed, Random } from "./Random.ts"
import { summarize } from "./Report.ts"

const CASES = Number(process.env.FUZZ_HTTP_CASES ?? 20_000)
const MB = 1024 * 1024
/**
 * Resident memory a run may add after its warm-up: L1 is bounded at 8 MiB here, nothing else may
 * grow. A leak on the V8 heap ends the process at its 192 MB cap (reported as a crash); this bound
 * catches native and buffer memory, with room for what V8 and the allocator keep between
 * collections (up to ~130 MB seen in the memory phase, whose requests carry megabytes each).
 */
const RSS_BOUND = 200 * MB

const start = () => startHttp({ env: { ...FUZZ_SERVER_ENV, TENFOLD_TOKENS: TOKENS_ENV } })

const options = { start, concurrency: 16, timeoutMs: 15_000, sessions: 4, maxCrashes: 20 }

/** Growth of the last server process from its first sample after `warmUp` requests (its heap then has its working size). */
const growthOf = (samples: ReadonlyArray<RssSample>, warmUp: number) => {
  const last = samples.at(-1)!
  const mine = samples.filter((s) => s.generation === last.generation)
  const first = mine.find((s) => s.done >= warmUp) ?? mine[0]!
  return { first, last, growth: last.rss - first.rss }
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`

describe("fuzz: the tenfold binary over HTTP", () => {
  it(`answers ${CASES} generated bad requests with the right status and code, never a 5xx, and stays up with bounded memory`, async () => {
    const seed = fuzzSeed()
    console.log(`HTTP fuzz: FUZZ_SEED=${seed} (replay with FUZZ_SEED=${seed} npx vitest run --project fuzz)`)
    const rng = new Random(seed)
    const started = Date.now()
    const run = await runHttp(CASES, (i) => httpCase(rng, i), { ...options, sampleEvery: 2000 })
    const { first, last, growth } = growthOf(run.rss, 2000)
    console.log(
      `HTTP fuzz: ${run.sent} sent, ${run.skipped} skipped (category crashed the server), ${run.busy} limit answers, ` +
        `${run.failures.length} failures, ${run.deaths} server deaths, ${Date.now() - started} ms; ` +
        `RSS ${mb(first.rss)} → ${mb(last.rss)} (+${mb(growth)})`
    )
    await run.server.stop()
    expect(run.failures.length, `FUZZ_SEED=${seed}\n${summarize(run.failures)}`).toBe(0)
    expect(run.sent).toBeGreaterThanOrEqual(CASES)
    expect(growth, `RSS samples (requests done: RSS): ${run.rss.map((s) => `${s.done}:${mb(s.rss)}`).join(" ")}`).toBeLessThan(RSS_BOUND)
  }, 180_000)

  it("keeps resident memory bounded under requests that differ only in client-chosen strings", async () => {
    const steps = memorySteps(Number(process.env.FUZZ_MEMORY_SCALE ?? 1))
    const bounds = steps.map((_, i) => steps.slice(0, i + 1).reduce((n, s) => n + s.count, 0))
    const total = bounds.at(-1)!
    const caseAt = (i: number) => {
      const at = bounds.findIndex((b) => i < b)
      const step = steps[at]!
      return step.make(i - (at === 0 ? 0 : bounds[at - 1]!), i + 1)
    }
    const started = Date.now()
    const run = await runHttp(total, caseAt, { ...options, sampleEvery: 250 })
    await run.server.stop()
    const { first, last, growth } = growthOf(run.rss, steps[0]!.count)
    const at = (done: number) => run.rss.filter((r) => r.generation === last.generation && r.done <= done).at(-1) ?? first
    const perStep = steps.slice(1).map((s, i) => `${s.name} ×${s.count}: +${mb(at(bounds[i + 1]!).rss - at(bounds[i]!).rss)}`)
    console.log(`memory fuzz: ${run.sent} sent in ${Date.now() - started} ms; RSS ${mb(first.rss)} → ${mb(last.rss)} (+${mb(growth)}); ${perStep.join("; ")}`)
    expect(run.failures.length, summarize(run.failures)).toBe(0)
    expect(growth, `RSS growth by step: ${perStep.join("; ")}`).toBeLessThan(RSS_BOUND)
  }, 180_000)
})
