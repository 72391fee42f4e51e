/** The one digest the cache uses for keys it must not store raw: base64url SHA-256 (43 characters). */
import { hash } from "node:crypto"

export const sha256 = (text: string): string => hash("sha256", text, "base64url")
