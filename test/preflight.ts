/**
 * First step of `npm test`: says up front what the suite needs from the machine and is missing,
 * instead of letting the integration tests wait for it one by one.
 */
import { spawnSync } from "node:child_process"

const redis = spawnSync("redis-server", ["--version"], { encoding: "utf8" })
if (redis.error !== undefined || redis.status !== 0) {
  console.error(
    "npm test: redis-server is not on PATH. The cache, readiness and scale-out tests start their own\n" +
      "redis-server on a free port; install it first (Debian/Ubuntu: apt-get install redis-server;\n" +
      ".ci/run does this on CI)."
  )
  process.exit(1)
}
console.log(`npm test: ${redis.stdout.trim().split(" ").slice(0, 3).join(" ")}`)

// the dashboard test drives Debian's chromium through playwright-core (which downloads no browser)
const chromium = spawnSync("/usr/bin/chromium", ["--version"], { encoding: "utf8" })
if (chromium.error !== undefined || chromium.status !== 0) {
  console.error(
    "npm test: /usr/bin/chromium is missing. The dashboard test opens /dashboard in headless Chromium\n" +
      "(playwright-core with executablePath, no browser download); install it first (Debian/Ubuntu:\n" +
      "apt-get install chromium; .ci/run does this on CI)."
  )
  process.exit(1)
}
console.log(`npm test: ${chromium.stdout.trim().split("\n")[0]}`)
