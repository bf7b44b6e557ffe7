import { createHmac, randomBytes } from 'node:crypto';

// Signatures as the Standard Webhooks specification (standardwebhooks.com) defines them: HMAC-SHA256 of
// "{webhook-id}.{webhook-timestamp}.{body}", keyed with the base64-decoded part of the secret after
// `whsec_`, sent as `v1,<base64>`; several, space-separated, while a rotated secret still signs.

/** What every signing secret starts with. */
export const SECRET_PREFIX = 'whsec_';
/** Random bytes in a secret: the specification asks for 24 to 64. */
const SECRET_BYTES = 32;
/** A secret as the API hands it out: `whsec_` and the base64 of 32 bytes. */
export const SECRET_PATTERN = '^whsec_[A-Za-z0-9+/]{43}=$';

/** A new signing secret: `whsec_` and the base64 encoding of 32 random bytes. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** The HMAC key of a secret: the base64-decoded part after `whsec_`. */
function signingKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new Error('a webhook signing secret must start with whsec_');
  }
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/** One signature, `v1,<base64 HMAC-SHA256>` of "{messageId}.{timestamp}.{body}". */
export function sign(secret: string, messageId: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${messageId}.${timestamp}.${body}`, 'utf8');
  return `v1,${mac.digest('base64')}`;
}

export interface SignedMessage {
  /** The `webhook-id`: the same on every attempt of a delivery. */
  messageId: string;
  /** The `webhook-timestamp`: Unix seconds of this attempt. */
  timestamp: number;
  /** The body exactly as it is sent. */
  body: string;
  /** The secrets that sign: the current one, and the one before a rotation while it still signs. */
  secrets: readonly string[];
}

/** The headers of a signed request: webhook-id, webhook-timestamp, webhook-signature and the content type. */
export function signatureHeaders(message: SignedMessage): Record<string, string> {
  if (message.secrets.length === 0) {
    throw new Error('a webhook is signed with at least one secret');
  }
  if (!Number.isSafeInteger(message.timestamp) || message.timestamp < 0) {
    throw new Error('a webhook timestamp is a whole number of seconds');
  }
  return {
    'content-type': 'application/json',
    'webhook-id': message.messageId,
    'webhook-timestamp': String(message.timestamp),
    'webhook-signature': message.secrets
      .map((secret) => sign(secret, message.messageId, message.timestamp, message.body))
      .join(' '),
  };
}
