/**
 * The playground's identity per browser: a random id the server issues in a
 * signed, HttpOnly cookie. The id is the user of every playground turn, so a
 * dialog can only be read or moved by the browser that holds the cookie;
 * conversation ids and user names sent in the body grant nothing.
 *
 * Cookie value: `v1.<id>.<signature>`, the signature being HMAC-SHA256 of
 * `v1.<id>` under the playground secret (base64url). A missing, tampered or
 * foreign cookie (another secret) is replaced by a new identity.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const IDENTITY_COOKIE = 'vmk_playground';
/** How long a browser keeps its identity (its dialogs expire sooner, after VMK_DIALOG_TTL_HOURS). */
export const IDENTITY_MAX_AGE_MS = 30 * 24 * 3_600_000;

const VERSION = 'v1';
const ID = /^[A-Za-z0-9_-]{22}$/;

function sign(secret: string | Buffer, id: string): string {
  return createHmac('sha256', secret).update(`${VERSION}.${id}`).digest('base64url');
}

/** A new random identity (16 bytes, base64url). */
export function newIdentity(): string {
  return randomBytes(16).toString('base64url');
}

/** The cookie value for an identity. */
export function identityCookieValue(secret: string | Buffer, id: string): string {
  return `${VERSION}.${id}.${sign(secret, id)}`;
}

/** The identity a cookie value proves, or null when it is malformed or not signed with this secret. */
export function verifyIdentity(secret: string | Buffer, value: string | undefined): string | null {
  if (!value) return null;
  const parts = value.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const [, id, signature] = parts as [string, string, string];
  if (!ID.test(id)) return null;
  const expected = Buffer.from(sign(secret, id));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
}

/** One cookie's value from a Cookie header (first occurrence), undecoded. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
