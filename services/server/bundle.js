// Bundles the `tenfold` binary's server (dist/main.js, emitted by tsc) into one file,
// dist/tenfold.js: Node then resolves and links one module instead of hundreds, and the parts of
// its dependencies it does not use are left out, so the binary answers its first request in
// about half the time (bench/coldstart.ts). The packages' own exports stay tsc's output.
// Any warning (an import that cannot be resolved, above all) fails the build.
//
// The embedders' worker threads start from source text and load their packages (@energetic-ai/*,
// @huggingface/transformers) with a require made from the bundle's own path, as the vector index
// loads hnswlib-node: those stay in node_modules, and nothing has to lie beside the bundle.
//
// `node bundle.js [input output]` bundles another entry the same way (the semantic tests do, to run
// the embedders from a bundle).
import { build } from "rolldown"

const [input = `${import.meta.dirname}/dist/main.js`, file = `${import.meta.dirname}/dist/tenfold.js`] = process.argv.slice(2)
const warnings = []
await build({
  input,
  platform: "node",
  external: [/^node:/],
  onLog: (level, log) => void (level === "warn" && warnings.push(log.message)),
  output: { file, format: "esm", sourcemap: true, codeSplitting: false }
})
if (warnings.length > 0) {
  console.error(`bundling ${file} failed:\n${warnings.join("\n")}`)
  process.exitCode = 1
}
