import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every secret starts with this, so that a leaked one is easy to recognise (and to scan for). */
export const TOKEN_PREFIX = 'inv_';
/** A secret as `newSecret` makes it: the prefix and 256 random bits in base64url. */
const SECRET_PATTERN = /^inv_[A-Za-z0-9_-]{43}$/;

/** A new secret: 256 random bits. Only its hash is ever stored. */
export function newSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Whether a presented value has the shape of a secret made here (anything else costs no lookup). */
export function looksLikeSecret(value: string): boolean {
  return SECRET_PATTERN.test(value);
}

/** SHA-256 of a secret, hex: what the database keeps and looks secrets up by. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
