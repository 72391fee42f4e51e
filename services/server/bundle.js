// Bundles the `tenfold` binary's server (dist/main.js, emitted by tsc) into one file,
// dist/tenfold.js: Node then resolves and links one module instead of hundreds, and the parts of
// its dependencies it does not use are left out, so the binary answers its first request in
// about half the time (bench/coldstart.ts). The packages' own exports stay tsc's output.
// Any warning (an import that cannot be resolved, above all) fails the build.
import { build } from "rolldown"

const warnings = []
await build({
  input: `${import.meta.dirname}/dist/main.js`,
  platform: "node",
  external: [/^node:/],
  onLog: (level, log) => void (level === "warn" && warnings.push(log.message)),
  output: { file: `${import.meta.dirname}/dist/tenfold.js`, format: "esm", sourcemap: true, codeSplitting: false }
})
if (warnings.length > 0) {
  console.error(`bundling the tenfold binary failed:\n${warnings.join("\n")}`)
  process.exitCode = 1
}
