/**
 * What the packaging tests share: the PATH an MCP client launched from a desktop has (this one's,
 * without the node_modules/.bin directories npm puts first), and the Node found on it when that
 * Node is older than the one Tenfold needs — the case of many a user's machine.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { delimiter, join } from "node:path"

/** This process's PATH without node_modules/.bin entries (where the pinned Node is). */
export const clientPath = (process.env.PATH ?? "").split(delimiter).filter((dir) => !dir.includes("node_modules")).join(delimiter)

const onPath = clientPath.split(delimiter).map((dir) => join(dir, "node")).find((file) => existsSync(file))
const version = onPath === undefined ? undefined : execFileSync(onPath, ["--version"], { encoding: "utf8" }).trim()
const [major = 0, minor = 0] = (version ?? "v0.0").slice(1).split(".").map(Number)

/** The `node` on {@link clientPath} when it is older than 22.13, else undefined. */
export const olderNode = onPath !== undefined && version !== undefined && (major < 22 || (major === 22 && minor < 13))
  ? { path: onPath, version }
  : undefined
