import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SECRET_PREFIX } from './webhooks.signing.js';

// The signing secrets at rest. Unlike a token, a signing secret cannot be stored as a hash: every
// delivery needs it to compute an HMAC. Without WEBHOOK_SECRET_KEY it is stored as it is (as GitHub and
// NetBox keep theirs), readable by whoever reads the database or a backup of it. With the key, it is
// sealed with AES-256-GCM: a copy of the database alone then forges no signature, and a sealed value
// moved to another column or altered fails to open rather than signing with something else.

const SEALED_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds a sealed value to its use: a ciphertext sealed for anything else does not open here. */
const ASSOCIATED_DATA = Buffer.from('inventory-api webhook signing secret v1', 'utf8');

/** A stored secret cannot be read: it is sealed and no key (or another key) is configured. */
export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
  constructor() {
    super('the webhook signing secret is sealed with a WEBHOOK_SECRET_KEY other than the one configured, or none is');
  }
}

/** Whether a stored secret is sealed (else it is the secret itself). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/** A secret as it is stored: sealed with `key` when there is one, else as it is. */
export function sealSecret(secret: string, key: Buffer | undefined): string {
  if (key === undefined) {
    return secret;
  }
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(ASSOCIATED_DATA);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${SEALED_PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
}

/**
 * The secret a stored value holds. A value stored as it is opens with or without a key (secrets made
 * before the key was set keep working); a sealed one needs the key it was sealed with.
 * Throws SecretUnreadableError otherwise.
 */
export function openSecret(stored: string, key: Buffer | undefined): string {
  if (!isSealed(stored)) {
    return stored;
  }
  if (key === undefined) {
    throw new SecretUnreadableError();
  }
  const raw = Buffer.from(stored.slice(SEALED_PREFIX.length), 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) {
    throw new SecretUnreadableError();
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES)).setAAD(ASSOCIATED_DATA);
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const secret = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
    if (!secret.startsWith(SECRET_PREFIX)) {
      throw new SecretUnreadableError();
    }
    return secret;
  } catch {
    throw new SecretUnreadableError();
  }
}

/** The columns of a subscription that hold its secrets, as stored. */
export interface StoredSecrets {
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
}

/**
 * The secrets that sign a delivery at `now`: the current one, then the one before the last rotation
 * while it still signs. A previous secret that cannot be opened (sealed with a key since replaced) is
 * left out; a current one that cannot be opened throws SecretUnreadableError.
 */
export function signingSecrets(stored: StoredSecrets, now: Date, key: Buffer | undefined): string[] {
  const secrets = [openSecret(stored.secret, key)];
  const { previous_secret: previous, previous_secret_expires_at: expiresAt } = stored;
  if (previous !== null && expiresAt !== null && expiresAt > now.toISOString()) {
    try {
      secrets.push(openSecret(previous, key));
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) {
        throw error;
      }
    }
  }
  return secrets;
}
