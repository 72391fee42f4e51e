/** The slice of autocannon 9's programmatic API that bench/http.ts uses (the package ships no types). */
declare module "autocannon" {
  export interface Options {
    readonly url: string
    readonly method?: string
    readonly headers?: Record<string, string>
    readonly body?: string
    readonly connections?: number
    /** Seconds. */
    readonly duration?: number
  }
  /** Per-second request counts (`requests`) or per-response latencies in ms (`latency`). */
  export interface Stats {
    readonly average: number
    readonly mean: number
    readonly stddev: number
    readonly min: number
    readonly max: number
    readonly p50: number
    readonly p90: number
    readonly p99: number
  }
  export interface Result {
    readonly duration: number
    readonly requests: Stats & { readonly total: number; readonly sent: number }
    readonly latency: Stats
    readonly errors: number
    readonly timeouts: number
    readonly non2xx: number
    readonly resets: number
    readonly mismatches: number
    readonly statusCodeStats: Record<string, { readonly count: number }>
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
