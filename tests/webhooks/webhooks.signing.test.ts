// Signatures checked by an independent implementation of Standard Webhooks: the `standardwebhooks` package.
import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  SecretUnreadableError,
  isSealed,
  openSecret,
  sealSecret,
  signingSecrets,
} from '../../src/webhooks/webhooks.secrets.js';
import { eventMessageId, pingBody, pingMessageId } from '../../src/webhooks/webhooks.events.js';
import { SECRET_PATTERN, generateSecret, sign, signatureHeaders } from '../../src/webhooks/webhooks.signing.js';

const BODY = JSON.stringify({ type: 'server.updated', timestamp: '2026-03-02T10:00:00.000Z', data: { seq: 7 } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('generateSecret', () => {
  it('makes whsec_ and the base64 of 32 random bytes, a new one each time', () => {
    const secrets = new Set(Array.from({ length: 50 }, generateSecret));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(new RegExp(SECRET_PATTERN));
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    }
  });
});

describe('signatureHeaders', () => {
  it('signs as Standard Webhooks does: the standardwebhooks package verifies the body and the headers', () => {
    const secret = generateSecret();
    const headers = signatureHeaders({ messageId: 'msg_7_1', timestamp: nowSeconds(), body: BODY, secrets: [secret] });
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toBe('msg_7_1');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(BODY, headers)).toStrictEqual(JSON.parse(BODY));
  });

  it('gives the signature the package computes for the same id, time and body', () => {
    const secret = generateSecret();
    const timestamp = 1_772_445_600;
    expect(sign(secret, 'msg_1', timestamp, BODY)).toBe(
      new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), BODY),
    );
  });

  it('is refused by the package for another secret, another body, another id or an old timestamp', () => {
    const secret = generateSecret();
    const message = { messageId: 'msg_7_1', timestamp: nowSeconds(), body: BODY, secrets: [secret] };
    const headers = signatureHeaders(message);
    const verify = (key: string, body: string, h: Record<string, string>) => () => new Webhook(key).verify(body, h);
    expect(verify(generateSecret(), BODY, headers)).toThrow(WebhookVerificationError);
    expect(verify(secret, BODY.replace('7', '8'), headers)).toThrow(WebhookVerificationError);
    expect(verify(secret, BODY, { ...headers, 'webhook-id': 'msg_7_2' })).toThrow(WebhookVerificationError);
    const old = signatureHeaders({ ...message, timestamp: nowSeconds() - 3600 });
    expect(verify(secret, BODY, old)).toThrow(WebhookVerificationError);
  });

  it('signs with every secret during a rotation, space-separated: each of them verifies', () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const headers = signatureHeaders({
      messageId: 'msg_9_3',
      timestamp: nowSeconds(),
      body: BODY,
      secrets: [current, previous],
    });
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(BODY, headers)).toStrictEqual(JSON.parse(BODY));
    expect(new Webhook(previous).verify(BODY, headers)).toStrictEqual(JSON.parse(BODY));
    expect(() => new Webhook(generateSecret()).verify(BODY, headers)).toThrow(WebhookVerificationError);
  });

  it('needs a secret, a whsec_ one, and a timestamp in whole seconds', () => {
    const message = { messageId: 'm', timestamp: 1, body: '{}', secrets: [generateSecret()] };
    expect(() => signatureHeaders({ ...message, secrets: [] })).toThrow('at least one secret');
    expect(() => signatureHeaders({ ...message, secrets: ['c2VjcmV0'] })).toThrow('whsec_');
    expect(() => signatureHeaders({ ...message, timestamp: 1.5 })).toThrow('whole number of seconds');
  });
});

describe('sealSecret and openSecret', () => {
  const key = randomBytes(32);

  it('store a secret as it is without a key, and open it with or without one', () => {
    const secret = generateSecret();
    expect(sealSecret(secret, undefined)).toBe(secret);
    expect(openSecret(secret, undefined)).toBe(secret);
    expect(openSecret(secret, key)).toBe(secret);
  });

  it('seal it with AES-256-GCM under a key: the stored value does not hold it, and opens with that key only', () => {
    const secret = generateSecret();
    const sealed = sealSecret(secret, key);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain(secret.slice('whsec_'.length, 20));
    expect(sealSecret(secret, key)).not.toBe(sealed);
    expect(openSecret(sealed, key)).toBe(secret);
    expect(() => openSecret(sealed, undefined)).toThrow(SecretUnreadableError);
    expect(() => openSecret(sealed, randomBytes(32))).toThrow(SecretUnreadableError);
  });

  it('refuse a sealed value that was altered or cut short', () => {
    const sealed = sealSecret(generateSecret(), key);
    const last = sealed.at(-1) === 'A' ? 'B' : 'A';
    expect(() => openSecret(`${sealed.slice(0, -1)}${last}`, key)).toThrow(SecretUnreadableError);
    expect(() => openSecret(sealed.slice(0, 30), key)).toThrow(SecretUnreadableError);
    expect(() => openSecret('enc:v1:', key)).toThrow(SecretUnreadableError);
  });
});

describe('signingSecrets', () => {
  const key = randomBytes(32);
  const now = new Date('2026-03-02T10:00:00.000Z');
  const [current, previous] = [generateSecret(), generateSecret()];

  it('are the current secret, and the previous one until its expiry', () => {
    const stored = { secret: sealSecret(current, key), previous_secret: previous };
    expect(signingSecrets({ ...stored, previous_secret_expires_at: '2026-03-03T09:00:00.000Z' }, now, key)).toEqual([
      current,
      previous,
    ]);
    expect(signingSecrets({ ...stored, previous_secret_expires_at: '2026-03-02T10:00:00.000Z' }, now, key)).toEqual([
      current,
    ]);
    expect(
      signingSecrets({ secret: current, previous_secret: null, previous_secret_expires_at: null }, now, key),
    ).toEqual([current]);
  });

  it('leave out a previous secret sealed with another key, and fail on such a current one', () => {
    const other = randomBytes(32);
    const stored = {
      secret: sealSecret(current, key),
      previous_secret: sealSecret(previous, other),
      previous_secret_expires_at: '2026-03-03T09:00:00.000Z',
    };
    expect(signingSecrets(stored, now, key)).toEqual([current]);
    expect(() => signingSecrets(stored, now, other)).toThrow(SecretUnreadableError);
  });
});

describe('message ids', () => {
  it("are one per event and subscription, fit the column's 64 characters, and a ping's are random", () => {
    expect(eventMessageId(1843, 1)).toBe('msg_1843_1');
    expect(eventMessageId(1843, 2)).not.toBe(eventMessageId(1843, 1));
    expect(eventMessageId(2_147_483_647, 2_147_483_647).length).toBeLessThanOrEqual(64);
    const pings = new Set(Array.from({ length: 20 }, pingMessageId));
    expect(pings.size).toBe(20);
    for (const id of pings) {
      expect(id).toMatch(/^msg_ping_[A-Za-z0-9_-]{22}$/);
    }
    expect(JSON.parse(pingBody(3, new Date('2026-03-02T10:00:00Z')))).toStrictEqual({
      type: 'ping',
      timestamp: '2026-03-02T10:00:00.000Z',
      data: { webhook_id: 3 },
    });
  });
});
