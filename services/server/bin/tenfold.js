#!/usr/bin/env node
// The `tenfold` binary. Plain JavaScript that any Node parses, so that an old Node can say what
// is wrong: on Node >= 22.13 it turns on Node's compile cache and runs the server; on an older
// Node it runs itself again with the Node the repository pins (the `node` package installed
// beside it), or exits with one line naming the Node it needs.
import { spawn } from "child_process"
import { existsSync, readFileSync } from "fs"
import module, { createRequire } from "module"
import { homedir } from "os"
import { dirname, join } from "path"
import { fileURLToPath } from "url"

var REQUIRED = [22, 13]
var self = fileURLToPath(import.meta.url)

function supports(version) {
  var parts = version.replace(/^v/, "").split(".").map(Number)
  return parts[0] > REQUIRED[0] || (parts[0] === REQUIRED[0] && parts[1] >= REQUIRED[1])
}

// Where the compile cache lives: NODE_COMPILE_CACHE if set, else <user cache dir>/tenfold/compile-cache
function compileCacheDir() {
  if (process.env.NODE_COMPILE_CACHE) return process.env.NODE_COMPILE_CACHE
  var base = process.env.XDG_CACHE_HOME
    || (process.platform === "win32" ? process.env.LOCALAPPDATA : undefined)
    || (process.platform === "darwin" ? join(homedir(), "Library", "Caches") : join(homedir(), ".cache"))
  return join(base, "tenfold", "compile-cache")
}

// The pinned Node: the `node` package resolved from this file's location (node_modules/node/bin/node)
function pinnedNode() {
  try {
    var dir = dirname(createRequire(self).resolve("node/package.json"))
    var version = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version
    var binary = join(dir, "bin", process.platform === "win32" ? "node.exe" : "node")
    return supports(version) && existsSync(binary) ? binary : undefined
  } catch (e) {
    return undefined
  }
}

function rerun(node) {
  var child = spawn(node, process.execArgv.concat([self], process.argv.slice(2)), {
    stdio: "inherit",
    env: Object.assign({}, process.env, { TENFOLD_REEXEC: "1" })
  })
  var forward = function(signal) {
    child.kill(signal)
  }
  var signals = ["SIGINT", "SIGTERM", "SIGHUP"]
  signals.forEach(function(signal) {
    process.on(signal, forward)
  })
  child.on("error", function(e) {
    process.stderr.write("tenfold: cannot start " + node + ": " + e.message + "\n")
    process.exit(1)
  })
  child.on("exit", function(code, signal) {
    signals.forEach(function(s) {
      process.removeListener(s, forward)
    })
    if (signal) process.kill(process.pid, signal)
    else process.exit(code === null ? 1 : code)
  })
}

if (supports(process.version)) {
  // node:sqlite (the L4 cache) is still flagged experimental on Node 22: a warning the user cannot act on
  var emitWarning = process.emitWarning
  process.emitWarning = function(warning) {
    if (/SQLite is an experimental feature/.test(String(warning && warning.message ? warning.message : warning))) return
    return emitWarning.apply(process, arguments)
  }
  if (module.enableCompileCache && !process.env.NODE_DISABLE_COMPILE_CACHE) {
    try {
      module.enableCompileCache(compileCacheDir())
    } catch (e) {
      // a cache that cannot be written only makes the start slower
    }
  }
  import("@tenfold/server/main").catch(function(e) {
    var unbuilt = e && e.code === "ERR_MODULE_NOT_FOUND" && !existsSync(join(dirname(self), "..", "dist"))
    process.stderr.write("tenfold: " + (unbuilt ? "the server is not built: run `npm run build` in the tenfold checkout" : (e && e.stack) || e) + "\n")
    process.exit(1)
  })
} else {
  var node = process.env.TENFOLD_REEXEC ? undefined : pinnedNode()
  if (node) rerun(node)
  else {
    process.stderr.write(
      "tenfold: needs Node >= " + REQUIRED.join(".") + " (this is Node " + process.version + " at " + process.execPath
        + "); install a newer Node, or run `npm install` in the tenfold checkout to get the Node it pins\n"
    )
    process.exit(1)
  }
}
