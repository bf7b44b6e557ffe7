import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { writeTransaction } from '../db/transaction.js';
import type { Database, IdempotencyKeyRow } from '../db/types.js';
import { appError } from '../errors.js';
import * as repository from './idempotency.repository.js';

/** How long a key and its answer are kept: a retry within this time gets the stored answer. */
export const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;
/**
 * A claim older than this, still without an answer, is taken to be abandoned (its process crashed or
 * lost the database) and may be taken over. Longer than a create takes: a request must arrive within
 * 30 s (REQUEST_TIMEOUT_MS) and one create is one transaction, bounded by the 30 s statement timeout
 * (DATABASE_STATEMENT_TIMEOUT_MS) on PostgreSQL. Too short a bound cannot make a create run twice: a
 * request whose claim was taken over can no longer store its answer, and its create is rolled back.
 */
export const ABANDONED_AFTER_MS = 60_000;
/** Expired keys deleted per claim, at most: the table stays at about one day's keys, and no request pays for many. */
export const PURGE_BATCH = 100;
/** What Retry-After tells a request whose key is in flight, in seconds. */
export const IN_FLIGHT_RETRY_AFTER_S = 1;

/** An answer as it is sent and stored: its status, the headers worth keeping (Location, ETag) and its body. */
export interface Answer<B> {
  status: number;
  headers: Record<string, string>;
  body: B;
}

/** Stores the answer for the claimed key, inside the transaction `trx` of the write that produced it. */
export type RecordAnswer<B> = (trx: Kysely<Database>, answer: Answer<B>) => Promise<void>;

export interface IdempotentRequest {
  /** The name of the token that sent the request: keys are per token. */
  token: string;
  /** The key, or undefined when the request sent none (it then simply runs). */
  key: string | undefined;
  /** The parsed body; only its fingerprint is kept. */
  body: unknown;
}

export interface IdempotencyService {
  /**
   * Runs `work` at most once per token and key. Without a key, it just runs. With a new key, the key is
   * claimed (committed on its own, so that every replica sees it), then `work` runs and must call
   * `record` with its answer inside the transaction of its write, so that the write and the stored
   * answer commit together. If `work` fails, the key is freed again. A known key with the same body
   * gets the stored answer (`replayed`); with another body, IDEMPOTENCY_KEY_REUSED (422); while its
   * first request runs, IDEMPOTENCY_KEY_IN_FLIGHT (409).
   */
  once<B>(
    request: IdempotentRequest,
    work: (record: RecordAnswer<B>) => Promise<Answer<B>>,
  ): Promise<Answer<B> & { replayed: boolean }>;
}

export interface IdempotencyServiceOptions {
  /** The clock of claims and expiries (tests move it). */
  now?: () => Date;
  /** Where a claim that could not be freed is reported. */
  logger?: FastifyBaseLogger;
}

/**
 * SHA-256 of the body in canonical JSON (RFC 8785: members sorted, no whitespace, one spelling per
 * number and string), so that the same content matches whatever its key order or spacing.
 */
export function fingerprintOf(body: unknown): string {
  return createHash('sha256')
    .update(canonicalize(body) ?? 'null', 'utf8')
    .digest('hex');
}

function inFlight() {
  return appError('IDEMPOTENCY_KEY_IN_FLIGHT', { headers: { 'retry-after': String(IN_FLIGHT_RETRY_AFTER_S) } });
}

type Claimed<B> = { owner: string } | { replay: Answer<B> };

/**
 * What a key's row means for a request with this body at `at`: the stored answer to replay, a refusal
 * (422 for another body, 409 while the first request runs), or null: the key is free to claim (no row,
 * an expired one, or a claim abandoned by a crashed process).
 */
function verdict<B>(row: IdempotencyKeyRow | undefined, fingerprint: string, at: Date): { replay: Answer<B> } | null {
  if (row === undefined) {
    return null;
  }
  const age = at.getTime() - Date.parse(row.created_at);
  if (age >= KEY_LIFETIME_MS) {
    return null;
  }
  if (row.response_status !== null) {
    if (row.fingerprint !== fingerprint) {
      throw appError('IDEMPOTENCY_KEY_REUSED');
    }
    return {
      replay: {
        status: row.response_status,
        headers: JSON.parse(row.response_headers ?? '{}') as Record<string, string>,
        body: JSON.parse(row.response_body ?? 'null') as B,
      },
    };
  }
  // In flight, whatever its body: the first request may still fail and free the key.
  if (age < ABANDONED_AFTER_MS) {
    throw inFlight();
  }
  return null;
}

export function createIdempotencyService(
  db: Kysely<Database>,
  { now = () => new Date(), logger }: IdempotencyServiceOptions = {},
): IdempotencyService {
  /**
   * Replays or refuses from a plain read, which waits for no writer (a retry while the first request's
   * create runs is told 409 at once); otherwise claims the key in a short transaction of its own.
   * Writers take turns (writeTransaction), so the second look inside it is exact across replicas.
   */
  async function claim<B>(ref: repository.KeyRef, fingerprint: string): Promise<Claimed<B>> {
    const known = verdict<B>(await repository.findKey(db, ref), fingerprint, now());
    if (known !== null) {
      return known;
    }
    return writeTransaction(db, async (trx) => {
      const at = now();
      await repository.purgeExpired(trx, new Date(at.getTime() - KEY_LIFETIME_MS).toISOString(), PURGE_BATCH);
      const row = await repository.findKey(trx, ref);
      const decided = verdict<B>(row, fingerprint, at);
      if (decided !== null) {
        return decided;
      }
      const owner = randomUUID();
      const next = { ...ref, fingerprint, owner, created_at: at.toISOString() };
      if (row === undefined) {
        await repository.insertClaim(trx, next);
      } else {
        await repository.replaceWithClaim(trx, next);
      }
      return { owner };
    });
  }

  async function release(ref: repository.KeyRef, owner: string): Promise<void> {
    try {
      // One conditional statement: it needs no turn among the writers.
      await repository.releaseClaim(db, ref, owner);
    } catch (error) {
      // The request's own error is the one to answer with; the claim is taken over once abandoned.
      logger?.warn({ err: error }, 'could not free an idempotency key after a failed request');
    }
  }

  return {
    async once<B>(request: IdempotentRequest, work: (record: RecordAnswer<B>) => Promise<Answer<B>>) {
      if (request.key === undefined) {
        return { ...(await work(async () => undefined)), replayed: false };
      }
      const ref = { token: request.token, key: request.key };
      const claimed = await claim<B>(ref, fingerprintOf(request.body));
      if ('replay' in claimed) {
        return { ...claimed.replay, replayed: true };
      }
      const { owner } = claimed;
      const record: RecordAnswer<B> = async (trx, answer) => {
        const stored = await repository.completeClaim(trx, ref, owner, {
          completed_at: now().toISOString(),
          response_status: answer.status,
          response_headers: JSON.stringify(answer.headers),
          response_body: JSON.stringify(answer.body),
        });
        if (!stored) {
          // Held too long, and taken over as abandoned: the other request creates, this one must not.
          throw inFlight();
        }
      };
      try {
        return { ...(await work(record)), replayed: false };
      } catch (error) {
        await release(ref, owner);
        throw error;
      }
    },
  };
}
