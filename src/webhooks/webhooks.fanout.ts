import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { listDefinitions } from '../custom-fields/custom-fields.repository.js';
import type { Definition } from '../custom-fields/custom-fields.values.js';
import { inChunks, turnEvery } from '../db/chunks.js';
import { isSqlite, rowsTransaction } from '../db/transaction.js';
import type { Database, ServerChangeRow, WebhookRow } from '../db/types.js';
import type { DatabaseLower } from '../servers/query/lower-case.js';
import { type MatchedServer, type ServerFilter, checkServerFilter, matches } from '../servers/query/match.js';
import { eventMessageId } from './webhooks.events.js';
import { namesCustomField } from './webhooks.filter.js';
import { CHANGE_EVENTS } from '../changes/changes.schemas.js';
import type { WebhookEvent } from './webhooks.schemas.js';

// The fan-out: the change feed, read after the position it keeps (webhook_state.last_seq), turned into
// one delivery per change and subscription that wants it. The change table is the outbox: a change and
// its row commit together, and the fan-out moves its position in the same transaction as the
// deliveries it queues, so an event is queued once, or not yet, and never lost. Every replica runs it;
// they take turns (an advisory lock of their own on PostgreSQL; SQLite has one writer), and the unique
// message id of a delivery (msg_<seq>_<webhook id>) makes a second queueing of the same event impossible
// besides. On PostgreSQL a pass does not take the API's write lock: writers take it in turn and commit
// in seq order, so the changes a pass reads are always a prefix of the feed, and a pass that inserts
// thousands of deliveries does not hold the API's writes up meanwhile. It locks the subscriptions it
// reads against deletion (FOR KEY SHARE), which would fail its insert of their deliveries.

/** The advisory lock key passes take turns with on PostgreSQL ("invf"; the API's write lock is "inv"). */
export const FANOUT_TURN_KEY = 0x696e7666;

/** The most changes one pass reads, and the most deliveries it queues (it stops after the change that passes it). */
export const FANOUT_CHANGES = 500;
export const FANOUT_DELIVERIES = 2000;
/**
 * While the API is busy, the least time from the end of one pass of a process to the start of its next
 * (ms): a pass then queues the deliveries of the writes of that time together (up to FANOUT_CHANGES),
 * instead of one pass after each commit, and the writes keep the time the passes would cost.
 */
export const BUSY_PASS_INTERVAL_MS = 250;
/** How often a paced wait asks again whether the API is still busy (ms): it ends soon after the load eases. */
const BUSY_RECHECK_MS = 50;

/** A delivery's body: `{"type", "timestamp", "data": {seq, server_id, action, actor, changes, server}}`. */
export function eventBody(change: ServerChangeRow): string {
  const server = change.server ?? 'null';
  // The server's state is stored as its JSON: spliced in as it is, not parsed and written again.
  return (
    `{"type":${JSON.stringify(CHANGE_EVENTS[change.action])},"timestamp":${JSON.stringify(change.at)},` +
    `"data":{"seq":${change.seq},"server_id":${change.server_id},"action":${JSON.stringify(change.action)},` +
    `"actor":${JSON.stringify(change.actor)},"changes":${change.changes},"server":${server}}}`
  );
}

/** A subscription as the fan-out matches it. */
interface Subscriber {
  id: number;
  afterSeq: number;
  events: ReadonlySet<string>;
  /** null: every server; 'broken': a filter that no longer compiles (a custom field it names was deleted). */
  filter: ServerFilter | null | 'broken';
}

export interface FanOutOptions {
  /** The database's lower(), for filters on `q` (databaseLower(db)); asked on the first pass if not given. */
  lower: () => Promise<DatabaseLower>;
  logger?: FastifyBaseLogger;
  /** The clock the deliveries are queued by. */
  now?: () => Date;
}

export interface FanOut {
  /**
   * One pass: queues the deliveries of the changes after the position, up to FANOUT_CHANGES changes
   * or about FANOUT_DELIVERIES deliveries, and moves the position past them. Returns how many changes
   * it read and how many deliveries it queued.
   */
  pass(): Promise<{ changes: number; queued: number }>;
}

/** Whether the change feed has changes after the fan-out's position. */
async function behind(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_state')
    .select((eb) => [
      'last_seq',
      eb
        .exists(
          eb.selectFrom('server_changes').select('seq').whereRef('server_changes.seq', '>', 'webhook_state.last_seq'),
        )
        .as('behind'),
    ])
    .where('id', '=', 1)
    .executeTakeFirst();
  return Boolean(row?.behind);
}

export function createFanOut(db: Kysely<Database>, options: FanOutOptions): FanOut {
  /** Compiled filters by their text and the definitions they were compiled with. */
  let compiled = new Map<string, ServerFilter | 'broken'>();
  let compiledWith = '';
  let lower: DatabaseLower | undefined;
  /** The filters already logged as broken, so that each is logged once per process. */
  const warned = new Set<string>();

  function compile(row: WebhookRow, definitions: readonly Definition[]): ServerFilter | 'broken' | null {
    if (row.filter === '' || lower === undefined) {
      return null;
    }
    let filter = compiled.get(row.filter);
    if (filter === undefined) {
      const checked = checkServerFilter(row.filter, definitions, { lower, prefix: 'filter.' });
      filter = checked.ok ? checked.filter : 'broken';
      compiled.set(row.filter, filter);
      if (!checked.ok && !warned.has(`${row.id}\n${row.filter}`)) {
        warned.add(`${row.id}\n${row.filter}`);
        options.logger?.warn(
          { webhook: row.id, details: checked.details },
          "a webhook's filter no longer holds (a custom field it names was deleted or changed): it matches no server",
        );
      }
    }
    return filter;
  }

  async function subscribers(trx: Kysely<Database>): Promise<Subscriber[]> {
    const query = trx.selectFrom('webhooks').selectAll().where('active', '=', 1).orderBy('id');
    const rows = await (isSqlite(trx) ? query : query.forKeyShare()).execute();
    if (rows.length === 0) {
      return [];
    }
    const needsDefinitions = rows.some((row) => namesCustomField(row.filter));
    const definitions = needsDefinitions ? await listDefinitions(trx) : [];
    // Filters compile against the definitions of now: compiled again when they change.
    const fingerprint = JSON.stringify(definitions);
    if (fingerprint !== compiledWith) {
      compiled = new Map();
      compiledWith = fingerprint;
    }
    if (lower === undefined && rows.some((row) => row.filter !== '')) {
      lower = await options.lower();
    }
    return rows.map((row) => ({
      id: row.id,
      afterSeq: row.after_seq,
      events: new Set(JSON.parse(row.events) as string[]),
      filter: compile(row, definitions),
    }));
  }

  return {
    async pass() {
      // Without the write lock first: most ticks find nothing new, and writers need not wait for them.
      if (!(await behind(db))) {
        return { changes: 0, queued: 0 };
      }
      return rowsTransaction(
        db,
        async (trx) => {
          const state = await trx.selectFrom('webhook_state').select('last_seq').where('id', '=', 1).executeTakeFirst();
          const last = state?.last_seq ?? 0;
          const changes = await trx
            .selectFrom('server_changes')
            .selectAll()
            .where('seq', '>', last)
            .orderBy('seq')
            .limit(FANOUT_CHANGES)
            .execute();
          if (changes.length === 0) {
            return { changes: 0, queued: 0 };
          }
          const subs = await subscribers(trx);
          const now = (options.now?.() ?? new Date()).toISOString();
          const deliveries: {
            webhook_id: number;
            event_type: WebhookEvent;
            message_id: string;
            seq: number;
            body: string;
            status: 'pending';
            next_attempt_at: string;
            created_at: string;
          }[] = [];
          let through = last;
          for (const [i, change] of changes.entries()) {
            await turnEvery(i, 100);
            const event = CHANGE_EVENTS[change.action];
            let server: MatchedServer | null | undefined;
            let body: string | undefined;
            for (const sub of subs) {
              if (change.seq <= sub.afterSeq || !sub.events.has(event) || sub.filter === 'broken') {
                continue;
              }
              if (sub.filter !== null) {
                // A change written without the server's state (by an older revision) matches no filter.
                server ??= change.server === null ? null : (JSON.parse(change.server) as MatchedServer);
                if (server === null || !matches(sub.filter, server)) {
                  continue;
                }
              }
              body ??= eventBody(change);
              deliveries.push({
                webhook_id: sub.id,
                event_type: event,
                message_id: eventMessageId(change.seq, sub.id),
                seq: change.seq,
                body,
                status: 'pending',
                next_attempt_at: now,
                created_at: now,
              });
            }
            through = change.seq;
            if (deliveries.length >= FANOUT_DELIVERIES) {
              break;
            }
          }
          await inChunks(deliveries, 200, async (chunk) => {
            await trx
              .insertInto('webhook_deliveries')
              .values(chunk)
              .onConflict((oc) => oc.column('message_id').doNothing())
              .execute();
            return undefined;
          });
          await trx
            .updateTable('webhook_state')
            .set({ last_seq: through, updated_at: now })
            .where('id', '=', 1)
            .execute();
          return { changes: changes.findIndex((change) => change.seq === through) + 1, queued: deliveries.length };
        },
        // Not waiting for the disk: a pass lost with a crash of the machine loses its position with its
        // deliveries, and the next pass queues them again from the change feed, which is durable with
        // each write. A write's own commit is then the only flush it costs.
        { turnKey: FANOUT_TURN_KEY, durable: false },
      );
    },
  };
}

export interface FanOutLoopOptions {
  /** How often to look for changes made through other processes (ms). */
  intervalMs: number;
  /** Called after a pass that queued deliveries: the delivery worker's wake-up. */
  onQueued?: () => void;
  logger?: FastifyBaseLogger;
  /** Whether the API is busy: then a pass starts `busyIntervalMs` after the last ended at the soonest. Never, by default. */
  busy?: () => boolean;
  /** The least time between two passes while the API is busy; BUSY_PASS_INTERVAL_MS by default. */
  busyIntervalMs?: number;
}

export interface FanOutLoop {
  /** Asks for a pass as soon as possible (after a local commit); passes asked for meanwhile are one. */
  wake(): void;
  /** Stops after the pass under way, if any. */
  stop(): Promise<void>;
}

/**
 * Runs the fan-out's passes: at once when woken, every `intervalMs` otherwise (changes made through
 * another replica are seen within that), again at once while a pass comes back full; while the API is
 * busy, BUSY_PASS_INTERVAL_MS after the last pass ended at the soonest. A pass that fails (the database
 * is away) is logged and tried again at the next tick: the position did not move.
 */
export function startFanOut(fanOut: FanOut, options: FanOutLoopOptions): FanOutLoop {
  let stopped = false;
  let again = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** When the last pass ended (performance.now()), and what ends a paced wait when the loop stops. */
  let lastPassEnd = -Infinity;
  const pace = new AbortController();
  /** Whether the last pass failed: an outage is logged once as it starts, and once as it ends. */
  let failing = false;

  /** While the API is busy, waits until `busyIntervalMs` after the last pass ended; no longer once it eases. */
  async function yieldToBusyApi(): Promise<void> {
    const interval = options.busyIntervalMs ?? BUSY_PASS_INTERVAL_MS;
    while (!stopped && options.busy?.() === true) {
      const wait = lastPassEnd + interval - performance.now();
      if (wait <= 0) {
        return;
      }
      await delay(Math.min(wait, BUSY_RECHECK_MS), undefined, { signal: pace.signal }).catch(() => undefined);
    }
  }

  async function run(): Promise<void> {
    do {
      if (options.busy?.() === true) {
        await yieldToBusyApi();
        if (stopped) {
          return;
        }
      }
      // The wakes so far are this pass's: it reads every change committed before it starts.
      again = false;
      try {
        const { changes, queued } = await fanOut.pass();
        if (queued > 0) {
          options.onQueued?.();
        }
        // A full pass leaves more behind it.
        again ||= changes >= FANOUT_CHANGES || queued >= FANOUT_DELIVERIES;
        if (failing) {
          failing = false;
          options.logger?.info('the webhooks fan-out works again');
        }
      } catch (err) {
        if (!failing) {
          failing = true;
          options.logger?.warn(
            { err },
            'the webhooks fan-out failed: it tries again every poll, and logs when it works again',
          );
        }
        again = false;
      } finally {
        lastPassEnd = performance.now();
      }
    } while (again && !stopped);
  }

  function wake(): void {
    if (stopped) {
      return;
    }
    if (running !== undefined) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
      // A wake that came after the last pass had read its changes, but before this: not lost.
      if (again) {
        wake();
      }
    });
  }

  const tick = () => {
    wake();
    if (!stopped) {
      timer = setTimeout(tick, options.intervalMs);
      timer.unref();
    }
  };
  tick();

  return {
    wake,
    async stop() {
      stopped = true;
      pace.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
