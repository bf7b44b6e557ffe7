import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { onWriteCommitted } from '../db/transaction.js';
import type { Database } from '../db/types.js';
import { appError } from '../errors.js';
import { createChangePoller } from './changes.poller.js';
import { lastChangeSeq } from './changes.repository.js';
import { ChangeStream } from './changes.stream.js';

/** What `Retry-After` tells a client turned away because the streams are full, in seconds. */
export const STREAMS_FULL_RETRY_AFTER_S = 30;
/** Changes per query, of the poller and of a stream catching up. */
const PAGE_SIZE = 100;

/** The streams' timings and bounds that are not settings (tests shorten them). */
export interface StreamTuning {
  /** Time between two heartbeats of an open stream. */
  heartbeatMs: number;
  /** Bytes of events that may wait for a slow client before it is disconnected. */
  bufferBytes: number;
}

export const DEFAULT_STREAM_TUNING: StreamTuning = { heartbeatMs: 15_000, bufferBytes: 1024 * 1024 };

export interface ChangeStreamsOptions extends StreamTuning {
  /** STREAM_POLL_MS. */
  pollMs: number;
  /** STREAM_MAX_CLIENTS. */
  maxClients: number;
  logger: FastifyBaseLogger;
}

export interface ChangeStreams {
  /**
   * Opens a stream of the changes after `after` (undefined: after the last one now, so only new ones)
   * on `response`. Throws TOO_MANY_STREAMS (503) when STREAM_MAX_CLIENTS are open, and
   * SERVICE_UNAVAILABLE once closing; a database that does not answer fails it too, all before a byte
   * of the stream is sent.
   */
  open(after: number | undefined, response: ServerResponse): Promise<Readable>;
  /** How many streams are open. */
  readonly size: number;
  /** Ends every stream and stops the poller, for good (the app is closing). */
  close(): void;
}

/**
 * The change streams of the process: one poller for all of them (nudged after every write this process
 * commits, so that a local write reaches local streams at once; another replica's within a poll
 * interval), one heartbeat timer, and the cap on their number.
 */
export function createChangeStreams(db: Kysely<Database>, options: ChangeStreamsOptions): ChangeStreams {
  const poller = createChangePoller(db, { intervalMs: options.pollMs, pageSize: PAGE_SIZE, logger: options.logger });
  const stopNudging = onWriteCommitted(db, () => {
    poller.nudge();
  });
  const streams = new Set<ChangeStream>();
  /** Streams being opened: they count toward the cap while they read where to start. */
  let opening = 0;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;
  // Read through a function after an await: the close may come meanwhile (which the compiler cannot see).
  const isClosed = () => closed;

  function beat(): void {
    for (const stream of streams) {
      stream.heartbeat();
    }
  }

  function removed(stream: ChangeStream): void {
    streams.delete(stream);
    if (streams.size === 0) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  return {
    async open(after, response) {
      if (closed) {
        throw appError('SERVICE_UNAVAILABLE');
      }
      if (streams.size + opening >= options.maxClients) {
        throw appError('TOO_MANY_STREAMS', { headers: { 'retry-after': String(STREAMS_FULL_RETRY_AFTER_S) } });
      }
      opening += 1;
      let start: number;
      try {
        start = after ?? (await lastChangeSeq(db));
      } finally {
        opening -= 1;
      }
      if (isClosed()) {
        throw appError('SERVICE_UNAVAILABLE');
      }
      const stream: ChangeStream = new ChangeStream({
        db,
        poller,
        after: start,
        response,
        pageSize: PAGE_SIZE,
        bufferBytes: options.bufferBytes,
        logger: options.logger,
        onClose: () => {
          removed(stream);
        },
      });
      streams.add(stream);
      if (heartbeat === undefined) {
        heartbeat = setInterval(beat, options.heartbeatMs);
        heartbeat.unref();
      }
      return stream.readable;
    },

    get size() {
      return streams.size;
    },

    close() {
      if (closed) {
        return;
      }
      closed = true;
      stopNudging();
      for (const stream of [...streams]) {
        stream.end();
      }
      clearInterval(heartbeat);
      heartbeat = undefined;
      poller.close();
    },
  };
}
