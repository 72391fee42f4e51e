/**
 * The documents `search_documents` indexes: a bounded walk of the configured directory (hidden
 * entries skipped, symbolic links followed only when they stay inside it, no directory read twice)
 * listing the text files it may read, and the reading of one file (too large or binary: skipped).
 */
import { Data, Effect } from "effect"
import type { Dirent } from "node:fs"
import { constants } from "node:fs"
import { open, opendir, readlink, realpath, stat } from "node:fs/promises"
import { extname, join, relative, sep } from "node:path"

/** What the walk may take in. */
export interface CorpusLimits {
  /** File name endings indexed, lower case with the dot (`.md`). */
  readonly extensions: ReadonlyArray<string>
  /** Most files listed; the walk stops there. */
  readonly maxFiles: number
  /** Larger files are skipped. */
  readonly maxFileBytes: number
  /** Most directory entries looked at in one walk (a tree of millions of other files stays bounded). */
  readonly maxEntries: number
}

/** One file the walk found: its path relative to the directory (with `/`), size and modification time. */
export interface FileInfo {
  readonly path: string
  readonly absolute: string
  readonly size: number
  readonly mtimeMs: number
}

/** The walk's result: the files to index, and what it left out and why. */
export interface Listing {
  readonly files: ReadonlyArray<FileInfo>
  /** The directories read (real paths, the directory itself first), for watching. */
  readonly directories: ReadonlyArray<string>
  /** Files over `maxFileBytes`. */
  readonly tooLarge: number
  /** True when `maxFiles` or `maxEntries` stopped the walk before its end. */
  readonly truncated: boolean
  /** The real path of the directory walked: pass it to `read`, which refuses a file that is not under it. */
  readonly root: string
}

/** The documents directory cannot be read (missing, not a directory, no permission). */
export class CorpusError extends Data.TaggedError("CorpusError")<{ readonly message: string }> {}

const isHidden = (name: string) => name.startsWith(".")

const codeOf = (error: unknown) => (error as { code?: string }).code ?? String(error)

/** Whether `path` lies inside `root` (both real paths). */
const inside = (root: string, path: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)

/**
 * Lists the indexable files under `dir`, breadth first. Fails only when `dir` itself cannot be
 * read; an unreadable subdirectory or a file that vanishes during the walk is left out.
 */
export const list = (dir: string, limits: CorpusLimits): Effect.Effect<Listing, CorpusError> =>
  Effect.tryPromise({
    try: () => walk(dir, limits),
    catch: (error) => new CorpusError({ message: `the documents directory ${dir} cannot be read (${codeOf(error)})` })
  })

const walk = async (dir: string, limits: CorpusLimits): Promise<Listing> => {
  const root = await realpath(dir)
  if (!(await stat(root)).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" })
  const extensions = new Set(limits.extensions.map((e) => e.toLowerCase()))
  const files: Array<FileInfo> = []
  const seen = new Set<string>([root])
  const directories: Array<string> = []
  const pending = [root]
  let tooLarge = 0
  let entries = 0
  let truncated = false
  while (pending.length > 0 && !truncated) {
    const current = pending.shift()!
    let handle
    try {
      handle = await opendir(current)
    } catch (error) {
      if (current === root) throw error
      continue
    }
    directories.push(current)
    const found: Array<Dirent> = []
    try {
      for await (const entry of handle) {
        if (++entries > limits.maxEntries) {
          truncated = true
          break
        }
        if (!isHidden(entry.name)) found.push(entry)
      }
    } catch (error) {
      if (current === root) throw error
      continue // removed or made unreadable while it was read: left out, like one that could not be opened
    }
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of found) {
      const path = join(current, entry.name)
      const isLink = entry.isSymbolicLink()
      if (!isLink && !entry.isDirectory() && !entry.isFile()) continue
      const wanted = entry.isDirectory() || isLink || extensions.has(extname(entry.name).toLowerCase())
      if (!wanted) continue
      const target = isLink ? await realpath(path).catch(() => undefined) : path
      if (target === undefined || (isLink && !inside(root, target))) continue
      const info = await stat(target).catch(() => undefined)
      if (info === undefined) continue
      if (info.isDirectory()) {
        if (!seen.has(target)) {
          seen.add(target)
          pending.push(target)
        }
        continue
      }
      if (!info.isFile() || !extensions.has(extname(entry.name).toLowerCase())) continue
      if (info.size > limits.maxFileBytes) {
        tooLarge++
        continue
      }
      if (files.length >= limits.maxFiles) {
        truncated = true
        break
      }
      files.push({ path: relative(root, path).split(sep).join("/"), absolute: target, size: info.size, mtimeMs: info.mtimeMs })
    }
  }
  return { files, directories, tooLarge, truncated, root }
}

/** Bytes looked at to tell a binary file from text. */
const SNIFF_BYTES = 8192

/**
 * Where the open file `fd` (opened as `file`) really is: the kernel's own answer on Linux
 * (`/proc/self/fd`), so a directory swapped for a symbolic link after the walk is seen; else the
 * real path of `file`.
 */
const openedPath = (fd: number, file: string): Promise<string> => readlink(`/proc/self/fd/${fd}`).catch(() => realpath(file))

/**
 * The text of `file`, or undefined when it is binary (a NUL byte in its first 8 KiB), has grown
 * past `maxBytes` since it was listed, or cannot be read any more. A file that is not under `root`
 * (the listing's) — the file or a directory on its path replaced by a symbolic link since the
 * walk — is not read: the walk's check holds when the file is opened.
 */
export const read = (file: string, maxBytes: number, root: string): Effect.Effect<string | undefined> =>
  Effect.promise(async () => {
    const handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined)
    if (handle === undefined) return undefined
    try {
      if (!inside(root, await openedPath(handle.fd, file))) return undefined
      // one byte more than expected tells a file that grew past the bound
      const buffer = Buffer.alloc(Math.min((await handle.stat()).size, maxBytes) + 1)
      let length = 0
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
        if (bytesRead === 0) break
        length += bytesRead
      }
      if (length > maxBytes || buffer.subarray(0, Math.min(length, SNIFF_BYTES)).includes(0)) return undefined
      return new TextDecoder("utf-8").decode(buffer.subarray(0, length)).replace(/^\uFEFF/, "")
    } catch {
      return undefined
    } finally {
      await handle.close()
    }
  })
