/**
 * Test support: the real `tenfold` binary as a child process (HTTP on a free port, or stdio), so
 * a test sees what a user would see — a defect that kills the server shows as the process exiting
 * — and can read the server's resident memory from /proc.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../../services/server/bin/tenfold.js", import.meta.url))

/** How much of the server's stderr is kept (its last bytes name the defect that killed it). */
const STDERR_KEPT = 16_384

export interface TenfoldProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly pid: number
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string | null>
  /** True once the process has ended. */
  readonly dead: () => boolean
  /** The last bytes the server wrote to stderr. */
  readonly stderr: () => string
  /** Resident set size in bytes (VmRSS), or undefined once the process is gone. */
  readonly rss: () => number | undefined
  /** SIGTERM, then SIGKILL after a second; removes the cache directory. */
  readonly stop: () => Promise<void>
}

/** An HTTP server process and the URL of its MCP endpoint. */
export interface TenfoldHttpProcess extends TenfoldProcess {
  readonly url: string
  readonly port: number
}

const launch = (args: ReadonlyArray<string>, env: Record<string, string>): TenfoldProcess => {
  const cacheDir = mkdtempSync(join(tmpdir(), "tenfold-proc-"))
  const child = spawn(process.execPath, [bin, "--cache-dir", cacheDir, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stderr = ""
  let dead = false
  child.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEPT)
  })
  const exited = new Promise<number | string | null>((resolve) =>
    child.on("exit", (code, signal) => {
      dead = true
      resolve(code ?? signal)
    })
  )
  const stop = async () => {
    if (!dead) {
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 1000)
      await exited
      clearTimeout(timer)
    }
    rmSync(cacheDir, { recursive: true, force: true })
  }
  return {
    child,
    pid: child.pid!,
    exited,
    dead: () => dead,
    stderr: () => stderr,
    rss: () => (dead ? undefined : rssOf(child.pid!)),
    stop
  }
}

/** Resident set size of a process in bytes, read from /proc/<pid>/status. */
export const rssOf = (pid: number): number | undefined => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m === null ? undefined : Number(m[1]) * 1024
  } catch {
    return undefined
  }
}

/** Starts `tenfold --port 0` and resolves once it says where it serves. */
export const startHttp = (options: { readonly args?: ReadonlyArray<string>; readonly env?: Record<string, string> } = {}) =>
  new Promise<TenfoldHttpProcess>((resolve, reject) => {
    const proc = launch(["--port", "0", ...(options.args ?? [])], options.env ?? {})
    const onData = () => {
      const m = /serving MCP on (http:\/\/[^:]+:(\d+)\S*)/.exec(proc.stderr())
      if (m === null) return
      proc.child.stderr.off("data", onData)
      resolve({ ...proc, url: m[1]!, port: Number(m[2]) })
    }
    proc.child.stderr.on("data", onData)
    void proc.exited.then((code) => reject(new Error(`tenfold exited (${String(code)}) before serving: ${proc.stderr()}`)))
  })

/** Starts `tenfold --stdio`; write lines to `child.stdin`, read answers from `child.stdout`. */
export const startStdio = (options: { readonly args?: ReadonlyArray<string>; readonly env?: Record<string, string> } = {}): TenfoldProcess =>
  launch(["--stdio", ...(options.args ?? [])], options.env ?? {})
