/**
 * Optional bearer-token authentication: a token maps to a principal name, which tools (and the
 * cache key) see. Tokens come from a file of `token principal` lines or a `token=principal,…` list.
 */
import { Data, Effect } from "effect"
import { readFile } from "node:fs/promises"

/** The tokens could not be read or a line is malformed. */
export class AuthConfigError extends Data.TaggedError("AuthConfigError")<{ readonly message: string }> {}

/** Token → principal. An empty map means authentication is off. */
export type Tokens = ReadonlyMap<string, string>

const parseLines = (text: string, source: string): Effect.Effect<Map<string, string>, AuthConfigError> => {
  const tokens = new Map<string, string>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === "" || line.startsWith("#")) continue
    const [token, principal, ...rest] = line.split(/\s+/)
    if (token === undefined || principal === undefined || rest.length > 0) {
      return Effect.fail(new AuthConfigError({ message: `${source}:${i + 1}: expected "<token> <principal>"` }))
    }
    tokens.set(token, principal)
  }
  return Effect.succeed(tokens)
}

/** Parses `token=principal,token2=principal2`. */
export const parseInline = (text: string): Effect.Effect<Map<string, string>, AuthConfigError> =>
  parseLines(text.split(",").map((pair) => pair.replace("=", " ")).join("\n"), "TENFOLD_TOKENS")

export const readTokensFile = (file: string): Effect.Effect<Map<string, string>, AuthConfigError> =>
  Effect.tryPromise({
    try: () => readFile(file, "utf8"),
    catch: (e) => new AuthConfigError({ message: `cannot read tokens file ${file}: ${(e as Error).message}` })
  }).pipe(Effect.flatMap((text) => parseLines(text, file)))

/** The principal for an `Authorization` header value, or undefined when it is missing or unknown. */
export const principalOf = (tokens: Tokens, authorization: string | undefined): string | undefined => {
  // the scheme is case-insensitive (RFC 9110 §11.1)
  if (authorization === undefined || authorization.slice(0, 7).toLowerCase() !== "bearer ") return undefined
  return tokens.get(authorization.slice(7).trim())
}
