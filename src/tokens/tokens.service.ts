import type { Kysely } from 'kysely';
import { uniqueViolationColumn } from '../db/errors.js';
import { writeTransaction } from '../db/transaction.js';
import type { ApiTokenRow, Database, TokenEventRow } from '../db/types.js';
import { appError } from '../errors.js';
import * as repository from './tokens.repository.js';
import { hashToken, looksLikeSecret, newSecret, sameHash } from './tokens.secrets.js';
import {
  MAX_GRACE_SECONDS,
  TOKEN_NAME_PATTERN,
  TOKEN_SCOPES,
  type Token,
  type TokenAction,
  type TokenEvent,
  type TokenScope,
  type TokenStatus,
  type TokenWithSecret,
} from './tokens.schemas.js';

export type { TokenScope, TokenStatus } from './tokens.schemas.js';
export { TOKEN_PREFIX, hashToken } from './tokens.secrets.js';
export type TokenInfo = Token;

/** Who a request acts as: the token's name (the actor in the change history) and what it may do. */
export interface Principal {
  name: string;
  scope: TokenScope;
}

export const BOOTSTRAP_TOKEN_NAME = 'bootstrap';
/** Names a token cannot take: the bootstrap token's, and `self`, which the API's paths use for the caller. */
export const RESERVED_TOKEN_NAMES: readonly string[] = [BOOTSTRAP_TOKEN_NAME, 'self'];
/** The actor recorded for changes made with the command line. */
export const CLI_ACTOR = '(cli)';
/** The actor recorded when a caller names none (code outside a request). */
export const SYSTEM_ACTOR = 'system';

/** last_used_at is written at most this often per token, so that reads do not become writes. */
const TOUCH_INTERVAL_MS = 60_000;

/** Whether a token of scope `held` may do what needs `needed`: admin > write > read. */
export function scopeAllows(held: TokenScope, needed: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(held) >= TOKEN_SCOPES.indexOf(needed);
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

function graceUntil(row: ApiTokenRow, now: Date): string | null {
  return row.previous_expires_at !== null && Date.parse(row.previous_expires_at) > now.getTime()
    ? row.previous_expires_at
    : null;
}

function invalidName(message: string) {
  return appError('VALIDATION_FAILED', [{ field: 'name', message }]);
}

/** A token error, with the name at fault in its details. */
function tokenError(
  code: 'TOKEN_NOT_FOUND' | 'TOKEN_CONFLICT' | 'TOKEN_INACTIVE' | 'BOOTSTRAP_TOKEN_FIXED',
  message: string,
  cause?: unknown,
) {
  return appError(code, { details: [{ field: 'name', message }], cause });
}

function inactiveError(row: ApiTokenRow) {
  return tokenError(
    'TOKEN_INACTIVE',
    row.revoked_at === null ? `expired at ${row.expires_at ?? ''}` : `revoked at ${row.revoked_at}`,
  );
}

export interface CreateTokenInput {
  name: string;
  scope: TokenScope;
  expiresInDays?: number;
  /** Who creates it: a token's name, or CLI_ACTOR (SYSTEM_ACTOR when not given). */
  actor?: string;
}

export interface TokensService {
  /** Creates a token and returns its secret: the only time the secret exists outside the client. */
  create(input: CreateTokenInput): Promise<TokenWithSecret>;
  /** Every token, the bootstrap token first when one is configured. */
  list(): Promise<TokenInfo[]>;
  /** One token, by name (the bootstrap token included); TOKEN_NOT_FOUND otherwise. */
  describe(name: string): Promise<TokenInfo>;
  /** Revokes the token at once, every secret of it; TOKEN_NOT_FOUND, TOKEN_INACTIVE or BOOTSTRAP_TOKEN_FIXED otherwise. */
  revoke(name: string, actor?: string): Promise<TokenInfo>;
  /**
   * Gives the token a new secret, same name and scope; the current one keeps working for `graceSeconds`
   * (0: stops at once). A secret still in the grace of an earlier rotation stops now.
   */
  rotate(name: string, options?: { graceSeconds?: number; actor?: string }): Promise<TokenWithSecret>;
  /** The token history after `after`, in order. */
  events(after: number, limit: number): Promise<TokenEvent[]>;
  /** The principal a secret stands for, or null if it is unknown, expired or revoked. */
  authenticate(secret: string): Promise<Principal | null>;
}

export interface TokensServiceOptions {
  /** SHA-256 of the bootstrap token (INVENTORY_BOOTSTRAP_TOKEN), if one is configured. */
  bootstrapTokenHash?: string | undefined;
  /** The clock of expiries and grace periods. */
  now?: () => Date;
}

const BOOTSTRAP_INFO: TokenInfo = Object.freeze({
  name: BOOTSTRAP_TOKEN_NAME,
  scope: 'admin',
  status: 'active',
  source: 'environment',
  created_at: null,
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  grace_until: null,
});

function toEvent(row: TokenEventRow): TokenEvent {
  const details = JSON.parse(row.details) as Pick<TokenEvent, 'scope' | 'expires_at' | 'grace_until'>;
  return { seq: row.seq, at: row.at, token: row.token, action: row.action, actor: row.actor, ...details };
}

export function createTokensService(db: Kysely<Database>, options: TokensServiceOptions = {}): TokensService {
  const now = options.now ?? (() => new Date());
  const hasBootstrap = options.bootstrapTokenHash !== undefined;

  function info(row: ApiTokenRow): TokenInfo {
    const at = now();
    return {
      name: row.name,
      scope: row.scope,
      status: statusOf(row, at),
      source: 'database',
      created_at: row.created_at,
      expires_at: row.expires_at,
      last_used_at: row.last_used_at,
      revoked_at: row.revoked_at,
      grace_until: row.revoked_at === null ? graceUntil(row, at) : null,
    };
  }

  async function record(
    trx: Kysely<Database>,
    token: string,
    action: TokenAction,
    actor: string,
    details: Pick<TokenEvent, 'scope' | 'expires_at' | 'grace_until'>,
  ): Promise<void> {
    await repository.insertTokenEvent(trx, {
      at: now().toISOString(),
      token,
      action,
      actor,
      details: JSON.stringify(details),
    });
  }

  /** The stored token of this name, refusing the bootstrap token's name (which no stored token has). */
  async function storedToken(trx: Kysely<Database>, name: string): Promise<ApiTokenRow> {
    if (name === BOOTSTRAP_TOKEN_NAME && hasBootstrap) {
      throw tokenError('BOOTSTRAP_TOKEN_FIXED', 'is the bootstrap token, set by the environment');
    }
    const row = await repository.findTokenByName(trx, name);
    if (row === undefined) {
      throw tokenError('TOKEN_NOT_FOUND', `no token is named "${name}"`);
    }
    return row;
  }

  async function principalOf(row: ApiTokenRow | undefined, at: Date): Promise<Principal | null> {
    if (row === undefined || statusOf(row, at) !== 'active') {
      return null;
    }
    if (row.last_used_at === null || at.getTime() - Date.parse(row.last_used_at) >= TOUCH_INTERVAL_MS) {
      await repository.touchToken(db, row.id, at.toISOString());
    }
    return { name: row.name, scope: row.scope };
  }

  return {
    async create({ name, scope, expiresInDays, actor = SYSTEM_ACTOR }) {
      if (!new RegExp(TOKEN_NAME_PATTERN).test(name)) {
        throw invalidName('a token name is 1 to 64 letters, digits, dots, underscores or hyphens');
      }
      if (RESERVED_TOKEN_NAMES.includes(name)) {
        throw invalidName(`the name "${name}" is reserved; choose another`);
      }
      if (!TOKEN_SCOPES.includes(scope)) {
        throw appError('VALIDATION_FAILED', [{ field: 'scope', message: `must be one of ${TOKEN_SCOPES.join(', ')}` }]);
      }
      if (expiresInDays !== undefined && (!Number.isInteger(expiresInDays) || expiresInDays < 1)) {
        throw appError('VALIDATION_FAILED', [
          { field: 'expires_in_days', message: 'must be a whole number of days, 1 or more' },
        ]);
      }
      const secret = newSecret();
      const createdAt = now();
      const expiresAt =
        expiresInDays === undefined ? null : new Date(createdAt.getTime() + expiresInDays * 86_400_000).toISOString();
      try {
        const row = await writeTransaction(db, async (trx) => {
          if ((await repository.findTokenByName(trx, name)) !== undefined) {
            throw tokenError('TOKEN_CONFLICT', `"${name}" is taken`);
          }
          const inserted = await repository.insertToken(trx, {
            name,
            scope,
            token_hash: hashToken(secret),
            created_at: createdAt.toISOString(),
            expires_at: expiresAt,
            last_used_at: null,
            revoked_at: null,
            previous_token_hash: null,
            previous_expires_at: null,
          });
          await record(trx, name, 'create', actor, { scope, expires_at: expiresAt });
          return inserted;
        });
        return { secret, token: info(row) };
      } catch (error) {
        // Another process (the CLI, another replica) took the name between the check and the insert.
        if (uniqueViolationColumn(error) !== null) {
          throw tokenError('TOKEN_CONFLICT', `"${name}" is taken`, error);
        }
        throw error;
      }
    },

    async list() {
      const stored = (await repository.listTokens(db)).map(info);
      return hasBootstrap ? [BOOTSTRAP_INFO, ...stored] : stored;
    },

    async describe(name) {
      if (name === BOOTSTRAP_TOKEN_NAME && hasBootstrap) {
        return BOOTSTRAP_INFO;
      }
      const row = await repository.findTokenByName(db, name);
      if (row === undefined) {
        throw tokenError('TOKEN_NOT_FOUND', `no token is named "${name}"`);
      }
      return info(row);
    },

    async revoke(name, actor = SYSTEM_ACTOR) {
      const row = await writeTransaction(db, async (trx) => {
        const current = await storedToken(trx, name);
        if (current.revoked_at !== null) {
          throw inactiveError(current);
        }
        const at = now().toISOString();
        const revoked = await repository.updateToken(trx, current.id, current.token_hash, {
          revoked_at: at,
          previous_token_hash: null,
          previous_expires_at: null,
        });
        if (revoked === undefined) {
          throw new Error(`token "${name}" changed inside its write transaction`);
        }
        await record(trx, name, 'revoke', actor, {});
        return revoked;
      });
      return info(row);
    },

    async rotate(name, { graceSeconds = 0, actor = SYSTEM_ACTOR } = {}) {
      if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
        throw appError('VALIDATION_FAILED', [
          { field: 'grace_seconds', message: `must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}` },
        ]);
      }
      const secret = newSecret();
      const row = await writeTransaction(db, async (trx) => {
        const current = await storedToken(trx, name);
        const at = now();
        if (statusOf(current, at) !== 'active') {
          throw inactiveError(current);
        }
        const graceEnd = graceSeconds === 0 ? null : new Date(at.getTime() + graceSeconds * 1000).toISOString();
        const rotated = await repository.updateToken(trx, current.id, current.token_hash, {
          token_hash: hashToken(secret),
          previous_token_hash: graceEnd === null ? null : current.token_hash,
          previous_expires_at: graceEnd,
        });
        if (rotated === undefined) {
          throw new Error(`token "${name}" changed inside its write transaction`);
        }
        await record(trx, name, 'rotate', actor, { grace_until: graceEnd });
        return rotated;
      });
      return { secret, token: info(row) };
    },

    async events(after, limit) {
      return (await repository.listTokenEvents(db, after, limit)).map(toEvent);
    },

    async authenticate(secret) {
      const presented = hashToken(secret);
      if (options.bootstrapTokenHash !== undefined && sameHash(presented, options.bootstrapTokenHash)) {
        return { name: BOOTSTRAP_TOKEN_NAME, scope: 'admin' };
      }
      // Anything not shaped like a secret this service makes costs no query.
      if (!looksLikeSecret(secret)) {
        return null;
      }
      // Found by the SHA-256 of the secret: the index lookup compares hashes, never the secret, so
      // its timing tells an attacker nothing about any secret (the bootstrap token, held in memory,
      // is compared in constant time above).
      const at = now();
      const current = await repository.findTokenByHash(db, presented);
      if (current !== undefined) {
        return principalOf(current, at);
      }
      // A secret replaced by a rotation works until the end of its grace period.
      const previous = await repository.findTokenByPreviousHash(db, presented);
      if (previous === undefined || graceUntil(previous, at) === null) {
        return null;
      }
      return principalOf(previous, at);
    },
  };
}
