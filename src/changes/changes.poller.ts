import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { type StreamEvent, toEvent } from './changes.events.js';
import { lastChangeSeq, listChanges } from './changes.repository.js';

/** Receives each batch of new changes, in seq order; called synchronously, it must not throw. */
export type ChangeListener = (events: readonly StreamEvent[]) => void;

export interface ChangePoller {
  /** Adds a listener (the first one starts the polling); returns the function that removes it. */
  subscribe(listener: ChangeListener): () => void;
  /**
   * The highest seq handed to the listeners, once the poller has started (it starts at the end of
   * the feed, read when the first listener comes). From then on, every change after it reaches the
   * listeners, in order, and none before it. Rejects if that first read fails.
   */
  position(): Promise<number>;
  /** The position, if the poller has started (synchronously: see ChangeStream's hand-over). */
  readonly current: number | undefined;
  /** Reads the table now, rather than at the next round (after a write of this process commits). */
  nudge(): void;
  /** Stops for good. */
  close(): void;
}

export interface ChangePollerOptions {
  /** Time between two reads of the table while anyone listens (STREAM_POLL_MS). */
  intervalMs: number;
  /** Changes read per query: a burst (a bulk create, an apply) is read and handed on in pages. */
  pageSize: number;
  logger: FastifyBaseLogger;
}

interface Deferred {
  promise: Promise<number>;
  resolve(seq: number): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: (seq: number) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A start that fails and that nobody awaits must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * The one reader of the change table for every stream of the process: each round reads the changes
 * after the highest seq it has seen, a page at a time, and hands each page to every listener, so
 * that a thousand streams cost one query a round, not a thousand. Rounds come every `intervalMs`
 * while anyone listens, and at once on `nudge()`; they never overlap (a nudge during a round asks for
 * another after it). Writes take turns (src/db/transaction.ts), so seqs become visible in order and
 * reading after the highest one seen misses none. With nobody listening it stops, and forgets its
 * position: the next listener starts it again at the end of the feed, not at a backlog nobody wants.
 */
export function createChangePoller(db: Kysely<Database>, options: ChangePollerOptions): ChangePoller {
  const listeners = new Set<ChangeListener>();
  let current: number | undefined;
  let started: Deferred | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let closed = false;
  /** Whether the last round failed: a failure is logged once, not at every round until it passes. */
  let failing = false;
  // Read through a function: a nudge during a round's await sets it (which the compiler cannot see).
  const askedAgain = () => again;

  function schedule(): void {
    if (timer === undefined && !closed && listeners.size > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        void round();
      }, options.intervalMs);
      timer.unref();
    }
  }

  function stop(): void {
    clearTimeout(timer);
    timer = undefined;
    current = undefined;
    started = undefined;
  }

  function handOn(events: readonly StreamEvent[]): void {
    for (const listener of listeners) {
      try {
        listener(events);
      } catch (err) {
        options.logger.error({ err }, 'a change stream failed to take new changes');
      }
    }
  }

  /** Reads and hands on every change after `current`, a page at a time. */
  async function readNew(): Promise<void> {
    for (;;) {
      const from = current;
      if (from === undefined) {
        return;
      }
      const rows = await listChanges(db, from, options.pageSize);
      // Stopped (or stopped and started again) meanwhile: this read belongs to nobody.
      if (current !== from || rows.length === 0) {
        return;
      }
      const events = rows.map(toEvent);
      // The position moves with the hand-over, synchronously: a stream that compares its own position
      // with it (ChangeStream) never finds one without the other.
      current = events[events.length - 1]?.seq ?? from;
      handOn(events);
      if (rows.length < options.pageSize) {
        return;
      }
      // Sockets drain between two pages of a burst.
      await nextTurn();
    }
  }

  async function round(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    timer = undefined;
    try {
      do {
        again = false;
        if (closed || listeners.size === 0) {
          break;
        }
        if (current === undefined) {
          const waiting = started;
          try {
            const end = await lastChangeSeq(db);
            if (started === waiting && listeners.size > 0) {
              current = end;
              waiting?.resolve(end);
            }
          } catch (error) {
            if (started === waiting) {
              started = undefined;
            }
            waiting?.reject(error);
            throw error;
          }
          continue;
        }
        await readNew();
      } while (askedAgain());
      if (failing) {
        failing = false;
        options.logger.info('the change streams read new changes again');
      }
    } catch (err) {
      // The database is out of reach, or slow: the streams wait, and the next round tries again.
      if (!failing) {
        failing = true;
        options.logger.warn({ err }, 'could not read new changes for the change streams; retrying every round');
      }
    } finally {
      running = false;
      schedule();
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stop();
        }
      };
    },

    position() {
      if (closed) {
        return Promise.reject(new Error('the change poller is closed'));
      }
      if (current !== undefined) {
        return Promise.resolve(current);
      }
      started ??= deferred();
      const { promise } = started;
      void round();
      return promise;
    },

    get current() {
      return current;
    },

    nudge() {
      if (listeners.size > 0) {
        void round();
      }
    },

    close() {
      closed = true;
      listeners.clear();
      stop();
    },
  };
}
