import { configDefaults, defineConfig } from "vitest/config"

// Tests run the TypeScript sources: the `@tenfold/source` export condition resolves each
// @tenfold/* package to its src/index.ts (vite ≥ 6 takes server-side conditions from
// `ssr.resolve.conditions`, which vitest also passes to its workers as --conditions). The
// projects that spawn the `tenfold` binary or pack the packages build them first.
const conditions = ["@tenfold/source", "node", "development|production"]
const source = { resolve: { conditions }, ssr: { resolve: { conditions } } }
const build = "./packaging/build.ts"

// vitest 5 replaced the separate `vitest.workspace.ts` file with `test.projects`:
// one project per workspace package plus the cross-package suites in test/.
export default defineConfig({
  test: {
    projects: [
      { ...source, test: { name: "cache", root: "packages/cache", include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 } },
      { ...source, test: { name: "executor", root: "packages/executor", include: ["test/**/*.test.ts"] } },
      { ...source, test: { name: "metrics", root: "packages/metrics", include: ["test/**/*.test.ts"], testTimeout: 30_000 } },
      { ...source, test: { name: "connections", root: "packages/connections", include: ["test/**/*.test.ts"], testTimeout: 30_000 } },
      { ...source, test: { name: "resources", root: "packages/resources", include: ["test/**/*.test.ts"], testTimeout: 30_000 } },
      { ...source, test: { name: "scheduler", root: "packages/scheduler", include: ["test/**/*.test.ts"], testTimeout: 60_000 } },
      { ...source, test: { name: "streaming", root: "packages/streaming", include: ["test/**/*.test.ts"], testTimeout: 60_000 } },
      { ...source, test: { name: "semantic", root: "packages/semantic", include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
      { ...source, test: { name: "mcp", root: "packages/mcp", include: ["test/**/*.test.ts"] } },
      { ...source, test: { name: "runtime", root: "packages/runtime", include: ["test/**/*.test.ts"] } },
      { ...source, test: { name: "server", root: "services/server", include: ["test/**/*.test.ts"] } },
      { ...source, test: { name: "e2e", root: "test", include: ["**/*.test.ts"], exclude: [...configDefaults.exclude, "packaging/**"], globalSetup: [build], testTimeout: 30_000, hookTimeout: 30_000 } },
      { ...source, test: { name: "fuzz", root: "test", include: ["fuzz/**/*.fuzz.ts"], globalSetup: [build], testTimeout: 180_000 } },
      { ...source, test: { name: "packaging", root: "test", include: ["packaging/**/*.test.ts"], globalSetup: [build], testTimeout: 120_000, hookTimeout: 120_000 } }
    ]
  }
})
