/**
 * Vitest global setup of the projects that run the `tenfold` binary or packed packages: builds
 * the packages first (incremental, about a second when nothing changed), so a test never runs a
 * stale build (`npm test` builds before vitest and sets TENFOLD_TEST_BUILT=1, so it is not built
 * twice). Type errors are left to `npm run typecheck`: the build still emits.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))

export const setup = () => {
  if (process.env.TENFOLD_TEST_BUILT === "1") return
  const result = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, encoding: "utf8" })
  if (result.status !== 0) console.warn(`npm run build failed (${result.status}); testing what it emitted:\n${result.stdout}${result.stderr}`)
  process.env.TENFOLD_TEST_BUILT = "1"
}
