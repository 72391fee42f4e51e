/**
 * A real, throwaway `redis-server` for integration tests: on a free loopback port, without
 * persistence, that a test can kill, restart on the same port, or make unresponsive.
 */
import { Effect } from "effect"
import { Redis } from "ioredis"
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { createServer } from "node:net"
import { setTimeout as delay } from "node:timers/promises"

/** A running test Redis. */
export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>/0` */
  readonly url: string
  /** Kills the server (SIGKILL, as a crash would) and waits until it has exited. */
  readonly stop: () => Promise<void>
  /** Starts the server again on the same port (empty: it has no persistence). */
  readonly restart: () => Promise<void>
  /**
   * Makes the server unresponsive for `ms` (DEBUG SLEEP on its own connection). Resolves once the
   * server is seen asleep, with the promise of the sleep's end.
   */
  readonly sleep: (ms: number) => Promise<{ readonly ended: Promise<void> }>
  /** A plain client for the test's own checks (closed by `close`). */
  readonly client: () => Redis
  /** Closes the test's clients and kills the server. */
  readonly close: () => Promise<void>
}

const STARTUP_TIMEOUT_MS = 10_000

const freePort = async (): Promise<number> => {
  const server = createServer()
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  const address = server.address()
  server.close()
  await once(server, "close")
  if (address === null || typeof address === "string") throw new Error("no port")
  return address.port
}

/** A client that fails instead of reconnecting: for probes. */
const probe = (port: number, commandTimeout?: number) =>
  new Redis(port, "127.0.0.1", { lazyConnect: true, enableReadyCheck: false, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout })

const ping = async (port: number): Promise<boolean> => {
  const client = probe(port)
  client.on("error", () => {})
  try {
    await client.connect()
    return (await client.ping()) === "PONG"
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/** Starts a `redis-server` (from PATH) and resolves once it answers PING. */
export const start = async (): Promise<RedisServer> => {
  const port = await freePort()
  const clients = new Set<Redis>()
  let server: ChildProcess | undefined

  const launch = async () => {
    const child = spawn("redis-server", [
      "--port", String(port),
      "--bind", "127.0.0.1",
      "--save", "",
      "--appendonly", "no",
      "--enable-debug-command", "local"
    ], { stdio: "ignore" })
    server = child
    let exited = false
    let missing: Error | undefined
    child.once("exit", () => (exited = true))
    child.once("error", (e) => (missing = e))
    const deadline = Date.now() + STARTUP_TIMEOUT_MS
    while (!(await ping(port))) {
      if (missing !== undefined) throw new Error(`redis-server could not be started (${missing.message}): install it (apt-get install redis-server)`)
      if (exited) throw new Error(`redis-server on port ${port} exited at start`)
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`)
      await delay(20)
    }
  }

  const stop = async () => {
    const child = server
    server = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, "exit")
    child.kill("SIGKILL")
    await exited
  }

  const sleep = async (ms: number) => {
    const sleeper = probe(port)
    // a PING that times out on this second connection shows the server is busy with the sleep
    const watcher = probe(port, 20)
    for (const client of [sleeper, watcher]) {
      client.on("error", () => {})
      await client.connect()
    }
    let over = false
    const ended = sleeper.call("DEBUG", "SLEEP", String(ms / 1000)).then(() => undefined, () => undefined)
      .finally(() => {
        over = true
        sleeper.disconnect()
      })
    try {
      while (!over && await watcher.ping().then(() => true, () => false)) await delay(5)
    } finally {
      watcher.disconnect()
    }
    return { ended }
  }

  await launch()
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    stop,
    restart: async () => {
      await stop()
      await launch()
    },
    sleep,
    client: () => {
      const client = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 1000) })
      client.on("error", () => {})
      clients.add(client)
      return client
    },
    close: async () => {
      for (const client of clients) client.disconnect()
      clients.clear()
      await stop()
    }
  }
}

/** A test Redis for the current scope: started on acquire, its clients closed and the server killed on release. */
export const scoped = Effect.acquireRelease(Effect.promise(start), (server) => Effect.promise(server.close))
