import { defineConfig } from "vitest/config"

// vitest 5 replaced the separate `vitest.workspace.ts` file with `test.projects`:
// one project per workspace package plus the cross-package suites in test/.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "cache", root: "packages/cache", include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 } },
      { test: { name: "executor", root: "packages/executor", include: ["test/**/*.test.ts"] } },
      { test: { name: "mcp", root: "packages/mcp", include: ["test/**/*.test.ts"] } },
      { test: { name: "runtime", root: "packages/runtime", include: ["test/**/*.test.ts"] } },
      { test: { name: "server", root: "services/server", include: ["test/**/*.test.ts"] } },
      { test: { name: "e2e", root: "test", include: ["**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 } },
      { test: { name: "fuzz", root: "test", include: ["fuzz/**/*.fuzz.ts"], testTimeout: 180_000 } }
    ]
  }
})
