/** Test support: a telemetry snapshot of a server with some traffic, one tier and one pool. */
import type { TelemetrySnapshot } from "../../src/Snapshot.ts"

/** A snapshot of a server serving 10 requests/s (5 % failing) with `changes` applied. */
export const snapshot = (changes: Partial<TelemetrySnapshot> = {}): TelemetrySnapshot => ({
  at: 1_700_000_000_400,
  windowSeconds: 10,
  uptimeSeconds: 5,
  requests: { count: 100, avgMs: 2, p50Ms: 1, p95Ms: 5, p99Ms: 9, perSecond: 10, successes: 95, failures: 5 },
  methods: [],
  tools: [],
  process: { cpu: 0.1, memory: 0.2, rssBytes: 1e8, heapUsedBytes: 5e7, eventLoop: 0.3, eventLoopDelayP99Ms: 1 },
  cache: { hitRate: 0.75, missRate: 0.25, tiers: [{ tier: "memory", hits: 3, misses: 1, hitRate: 0.75, evictionsPerSecond: 0, entries: 1, bytes: 10 }] },
  tasks: { concurrent: 0, avgCompletionMs: 2, successRate: 1 },
  pools: [{ name: "tools", active: 2, capacity: 8, queued: 0, utilisation: 0.25 }],
  alerts: [],
  ...changes
})
