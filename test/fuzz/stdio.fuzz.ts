/**
 * Fuzz test of `tenfold --stdio` (issue 6): ≥ 2,000 generated bad lines of both revisions; every
 * line with an id gets exactly one answer with the right code, unreadable lines one error with id
 * null, nothing but JSON on stdout, the process stays alive and its memory bounded. Seeded like
 * the HTTP test (`FUZZ_SEED`).
 */
import { describe, expect, it } from "vitest"
import { STDIO_LISTEN_CAP, stdioMemorySteps } from "./MemoryCases.ts"
import { fuzzSeed, Random } from "./Random.ts"
import { summarize } from "./Report.ts"
import { stdioCase } from "./StdioCases.ts"
import { runStdio } from "./StdioRun.ts"

const CASES = Number(process.env.FUZZ_STDIO_CASES ?? 2500)
const MB = 1024 * 1024

describe("fuzz: the tenfold binary over stdio", () => {
  it(`answers ${CASES} generated bad lines, each id exactly once with the right code, and stays up`, async () => {
    const seed = fuzzSeed()
    console.log(`stdio fuzz: FUZZ_SEED=${seed} (replay with FUZZ_SEED=${seed} npx vitest run --project fuzz)`)
    const rng = new Random(seed)
    const started = Date.now()
    const run = await runStdio(CASES, (i) => stdioCase(rng, i), 10_000)
    const last = run.rss.at(-1)!
    const first = run.rss.find((s) => s.generation === last.generation && s.done >= 250) ?? run.rss.find((s) => s.generation === last.generation)!
    console.log(
      `stdio fuzz: ${CASES - run.skipped} sent, ${run.skipped} skipped (category crashed the server), ${run.failures.length} failures, ` +
        `${run.deaths} server deaths, ${Date.now() - started} ms; RSS ${(first.rss / MB).toFixed(1)} → ${(last.rss / MB).toFixed(1)} MB`
    )
    await run.proc.stop()
    expect(run.failures.length, `FUZZ_SEED=${seed}\n${summarize(run.failures)}`).toBe(0)
    expect(CASES - run.skipped).toBeGreaterThanOrEqual(2000)
    expect(last.rss - first.rss).toBeLessThan(150 * MB)
  }, 180_000)

  it("refuses over-long lines, deep nesting and listen streams past the connection's cap, with bounded memory", async () => {
    const steps = stdioMemorySteps(Number(process.env.FUZZ_MEMORY_SCALE ?? 1))
    const cases = steps.flatMap((step) => Array.from({ length: step.count }, (_, i) => (id: number) => step.make(i, id)))
    const started = Date.now()
    const run = await runStdio(cases.length, (i) => cases[i]!(i + 1), 30_000, ["--max-listen-streams-per-principal", String(STDIO_LISTEN_CAP)])
    const first = run.rss[0]!
    const last = run.rss.at(-1)!
    console.log(
      `stdio memory fuzz: ${steps.map((s) => `${s.name} ×${s.count}`).join(", ")} in ${Date.now() - started} ms; ` +
        `${run.deaths} server deaths; RSS ${(first.rss / MB).toFixed(1)} → ${(last.rss / MB).toFixed(1)} MB`
    )
    await run.proc.stop()
    expect(run.failures.length, summarize(run.failures)).toBe(0)
    expect(last.generation).toBe(0)
    expect(last.rss - first.rss).toBeLessThan(150 * MB)
  }, 180_000)
})
