import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApiTokenRow, Database } from '../db/types.js';
import * as repository from './tokens.repository.js';

export type TokenScope = 'read' | 'write';

/** Who a request acts as: the token's name (the actor in the change history) and what it may do. */
export interface Principal {
  name: string;
  scope: TokenScope;
}

/** Every secret starts with this, so that a leaked one is easy to recognise (and to scan for). */
export const TOKEN_PREFIX = 'inv_';
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap';

/** last_used_at is written at most this often per token, so that reads do not become writes. */
const TOUCH_INTERVAL_MS = 60_000;

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export interface TokenInfo {
  name: string;
  scope: TokenScope;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  status: TokenStatus;
}

function statusOf(row: ApiTokenRow, now: Date): TokenStatus {
  if (row.revoked_at !== null) {
    return 'revoked';
  }
  if (row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime()) {
    return 'expired';
  }
  return 'active';
}

export class TokenError extends Error {
  override readonly name = 'TokenError';
}

export interface TokensService {
  /** Creates a token and returns its secret: the only time the secret exists outside the client. */
  create(input: {
    name: string;
    scope: TokenScope;
    expiresInDays?: number;
  }): Promise<{ secret: string; token: TokenInfo }>;
  list(): Promise<TokenInfo[]>;
  /** Revokes the token; false if no active token has this name. */
  revoke(name: string): Promise<boolean>;
  /** The principal a secret stands for, or null if it is unknown, expired or revoked. */
  authenticate(secret: string): Promise<Principal | null>;
}

export interface TokensServiceOptions {
  /** SHA-256 of the bootstrap token (INVENTORY_BOOTSTRAP_TOKEN), if one is configured. */
  bootstrapTokenHash?: string | undefined;
  now?: () => Date;
}

export function createTokensService(db: Kysely<Database>, options: TokensServiceOptions = {}): TokensService {
  const now = options.now ?? (() => new Date());

  function info(row: ApiTokenRow): TokenInfo {
    return {
      name: row.name,
      scope: row.scope,
      created_at: row.created_at,
      expires_at: row.expires_at,
      last_used_at: row.last_used_at,
      revoked_at: row.revoked_at,
      status: statusOf(row, now()),
    };
  }

  return {
    async create({ name, scope, expiresInDays }) {
      if (!TOKEN_NAME_PATTERN.test(name)) {
        throw new TokenError('A token name is 1 to 64 letters, digits, dots, underscores or hyphens');
      }
      if (name === BOOTSTRAP_TOKEN_NAME) {
        throw new TokenError(`The name "${BOOTSTRAP_TOKEN_NAME}" is reserved for INVENTORY_BOOTSTRAP_TOKEN`);
      }
      if (expiresInDays !== undefined && (!Number.isInteger(expiresInDays) || expiresInDays < 1)) {
        throw new TokenError('--expires-in-days must be a whole number of days, 1 or more');
      }
      if ((await repository.findTokenByName(db, name)) !== undefined) {
        throw new TokenError(`A token named "${name}" exists already (names are never reused)`);
      }
      const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const createdAt = now();
      const row = {
        name,
        scope,
        token_hash: hashToken(secret),
        created_at: createdAt.toISOString(),
        expires_at:
          expiresInDays === undefined ? null : new Date(createdAt.getTime() + expiresInDays * 86_400_000).toISOString(),
        last_used_at: null,
        revoked_at: null,
      };
      await repository.insertToken(db, row);
      return { secret, token: info({ id: 0, ...row }) };
    },

    async list() {
      return (await repository.listTokens(db)).map(info);
    },

    revoke(name) {
      return repository.revokeToken(db, name, now().toISOString());
    },

    async authenticate(secret) {
      const presented = hashToken(secret);
      if (options.bootstrapTokenHash !== undefined && sameHash(presented, options.bootstrapTokenHash)) {
        return { name: BOOTSTRAP_TOKEN_NAME, scope: 'write' };
      }
      if (!secret.startsWith(TOKEN_PREFIX)) {
        return null;
      }
      // Found by the SHA-256 of the secret: the index lookup compares hashes, never the secret, so
      // its timing tells an attacker nothing about any secret (the bootstrap token, held in memory,
      // is compared in constant time above).
      const row = await repository.findTokenByHash(db, presented);
      if (row === undefined || statusOf(row, now()) !== 'active') {
        return null;
      }
      const at = now();
      if (row.last_used_at === null || at.getTime() - Date.parse(row.last_used_at) >= TOUCH_INTERVAL_MS) {
        await repository.touchToken(db, row.id, at.toISOString());
      }
      return { name: row.name, scope: row.scope };
    },
  };
}
