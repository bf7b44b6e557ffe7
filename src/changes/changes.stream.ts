import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { HEARTBEAT, OPENING, type StreamEvent, toEvent } from './changes.events.js';
import type { ChangePoller } from './changes.poller.js';
import { listChanges } from './changes.repository.js';

/** How long a stream ended at shutdown may take to reach its client before its connection is cut. */
export const END_GRACE_MS = 1000;

export interface ChangeStreamOptions {
  db: Kysely<Database>;
  poller: ChangePoller;
  /** The stream sends the changes after this seq. */
  after: number;
  /** The response the stream is sent on: cut when the client falls behind or does not take the end. */
  response: ServerResponse;
  /** Changes read per query while catching up. */
  pageSize: number;
  /** Bytes of events that may wait for a slow client before it is disconnected. */
  bufferBytes: number;
  logger: FastifyBaseLogger;
  /** Called once, when the stream is over, however it ended. */
  onClose: () => void;
}

/**
 * One client's stream of the change feed, as Server-Sent Events, from the seq after `after` on.
 *
 * It first catches up from the table, a page at a time, reading the next page only once the client
 * has taken the previous one (the socket's backpressure: `read()` is called when the buffer runs
 * low). Then it hands over to the shared poller and sends what the poller reads, live. The hand-over
 * misses nothing and repeats nothing: the stream goes live only when it has read from the table as far
 * as the poller has handed on, a check made synchronously with the poller's own position; until then
 * it ignores the poller, and reads on from the table. Live, a seq at or below its own is skipped.
 *
 * A client that falls behind, with more than `bufferBytes` of events waiting for it, is disconnected
 * rather than buffered without end: it reconnects with Last-Event-ID and catches up from the table.
 */
export class ChangeStream {
  readonly readable: Readable;
  private cursor: number;
  private live = false;
  private ended = false;
  private readonly unsubscribe: () => void;
  private wakeReader: (() => void) | undefined;

  constructor(private readonly options: ChangeStreamOptions) {
    this.cursor = options.after;
    this.readable = new Readable({
      read: () => {
        const wake = this.wakeReader;
        this.wakeReader = undefined;
        wake?.();
      },
    });
    // However it ends: the client left, it was cut, or it ended.
    this.readable.once('close', () => {
      this.stop();
    });
    this.unsubscribe = options.poller.subscribe((events) => {
      this.take(events);
    });
    this.readable.push(OPENING);
    void this.catchUp();
  }

  /** A comment, so that the connection does not look idle; not while events wait for the client anyway. */
  heartbeat(): void {
    if (!this.ended && this.readable.readableLength === 0) {
      this.readable.push(HEARTBEAT);
    }
  }

  /**
   * Ends the stream (the app is closing): a clean end for a client that keeps up, a cut for one that
   * does not (events wait for it) or that does not take the end within END_GRACE_MS. Either way it
   * reconnects, elsewhere, with Last-Event-ID.
   */
  end(): void {
    if (this.ended) {
      return;
    }
    const { response } = this.options;
    const behind = this.readable.readableLength > 0 || response.writableNeedDrain;
    this.stop();
    if (behind) {
      response.destroy();
      return;
    }
    this.readable.push(null);
    const timer = setTimeout(() => response.destroy(), END_GRACE_MS);
    timer.unref();
    response.once('close', () => {
      clearTimeout(timer);
    });
  }

  /** Whether the stream is over (a method: it changes while the stream awaits the database). */
  private over(): boolean {
    return this.ended;
  }

  private stop(): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.unsubscribe();
    this.wakeReader?.();
    this.wakeReader = undefined;
    this.options.onClose();
  }

  /** Disconnects the client: what it has not received it reads again from the table when it reconnects. */
  private cut(reason: string, err?: unknown): void {
    if (this.ended) {
      return;
    }
    this.options.logger.warn({ err, seq: this.cursor }, `disconnected a change stream: ${reason}`);
    this.stop();
    this.options.response.destroy();
  }

  private send(event: StreamEvent): void {
    this.readable.push(event.frame);
    this.cursor = event.seq;
  }

  /** Resolves once the client has taken what waits for it (or the stream is over). */
  private drained(): Promise<void> {
    if (this.ended || this.readable.readableLength < this.readable.readableHighWaterMark) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wakeReader = resolve;
    });
  }

  private async catchUp(): Promise<void> {
    const { db, poller, pageSize } = this.options;
    try {
      await poller.position();
      while (!this.over()) {
        const rows = await listChanges(db, this.cursor, pageSize);
        if (this.over()) {
          return;
        }
        for (const row of rows) {
          this.send(toEvent(row));
        }
        if (rows.length === pageSize) {
          await this.drained();
          continue;
        }
        // Synchronously with the poller's position: nothing can be handed on between the check and the switch.
        const polled = poller.current;
        if (polled === undefined) {
          // The poller stopped and starts again (it does only when nobody listens, so hardly ever).
          await poller.position();
        } else if (this.cursor >= polled) {
          this.live = true;
          return;
        }
        // The poller has handed on changes past what the table gave: read on.
      }
    } catch (err) {
      this.cut('could not read the changes to catch up on', err);
    }
  }

  private take(events: readonly StreamEvent[]): void {
    if (!this.live || this.ended) {
      return;
    }
    for (const event of events) {
      if (event.seq > this.cursor) {
        this.send(event);
      }
    }
    if (this.readable.readableLength > this.options.bufferBytes) {
      this.cut(`the client fell more than ${this.options.bufferBytes} bytes behind`);
    }
  }
}
