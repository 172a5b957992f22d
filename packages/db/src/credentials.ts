import { hash, verify } from '@node-rs/argon2'
import { createHash, createHmac, randomBytes } from 'node:crypto'

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane).
const ARGON2 = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 }

export const hashPassword = (password: string) => hash(password, ARGON2)

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    return false
  }
}

/** A hash to verify against when the email is unknown, so both cases take the same time. */
let dummyHash: Promise<string> | undefined
export const dummyPasswordHash = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')))

export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url')
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

// Links mailed to choose a password (issue 13). The secret is an HMAC of the link's id under a key only the
// processes hold (derived from JWT_SECRET): the database keeps its SHA-256 and the outbox only the id, so neither
// a copy of the database nor of a pending mail opens an account; the worker recomputes the link when it sends.
export const accountLinkKey = (jwtSecret: string) => createHmac('sha256', jwtSecret).update('relais account links').digest('base64url')
export const accountLinkSecret = (key: string, linkId: string) => createHmac('sha256', key).update(linkId).digest('base64url')
/** What the mail's link carries: the tenant (a login names no tenant), the link's id and its secret. */
export const accountLinkToken = (key: string, tenantId: string, linkId: string) => `${tenantId}.${linkId}.${accountLinkSecret(key, linkId)}`
