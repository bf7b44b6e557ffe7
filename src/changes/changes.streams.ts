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

/** How an open stream's token is checked again, at each heartbeat. */
export interface StreamAccess {
  /** The same for the streams of the same token (the check runs once for them all): its hash. */
  key: string;
  /** Whether the token may still read; false ends the stream. */
  check: () => Promise<boolean>;
}

export interface ChangeStreams {
  /**
   * Opens a stream of the changes after `after` (undefined: after the last one now, so only new ones)
   * on `response`. Throws TOO_MANY_STREAMS (503) when STREAM_MAX_CLIENTS are open, and
   * SERVICE_UNAVAILABLE once closing; a database that does not answer fails it too, all before a byte
   * of the stream is sent.
   */
  open(after: number | undefined, response: ServerResponse, access?: StreamAccess): Promise<Readable>;
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

  /** The checks of the open streams' tokens, with the streams of each. */
  const accesses = new Map<ChangeStream, StreamAccess>();
  let checking = false;

  /**
   * Ends the streams whose token was revoked, has expired or lost the scope since they opened: checked
   * once per token at each heartbeat. A check that fails (the database is away) keeps them open.
   */
  async function recheck(): Promise<void> {
    if (checking || accesses.size === 0) {
      return;
    }
    checking = true;
    try {
      const byKey = new Map<string, { access: StreamAccess; streams: ChangeStream[] }>();
      for (const [stream, access] of accesses) {
        const group = byKey.get(access.key) ?? { access, streams: [] };
        group.streams.push(stream);
        byKey.set(access.key, group);
      }
      for (const { access, streams: ofToken } of byKey.values()) {
        let allowed = true;
        try {
          allowed = await access.check();
        } catch {
          continue;
        }
        if (!allowed) {
          for (const stream of ofToken) {
            stream.end();
          }
        }
      }
    } finally {
      checking = false;
    }
  }

  function beat(): void {
    for (const stream of streams) {
      stream.heartbeat();
    }
    void recheck();
  }

  function removed(stream: ChangeStream): void {
    streams.delete(stream);
    accesses.delete(stream);
    if (streams.size === 0) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  return {
    async open(after, response, access) {
      if (closed) {
        throw appError('SERVICE_UNAVAILABLE');
      }
      if (streams.size + opening >= options.maxClients) {
        throw appError('TOO_MANY_STREAMS', { headers: { 'retry-after': String(STREAMS_FULL_RETRY_AFTER_S) } });
      }
      opening += 1;
      let start: number;
      try {
        // A start past the feed's end (a database restored from a backup older than the client's last
        // event) starts at the end: the changes written from there on get those seqs again.
        const last = await lastChangeSeq(db);
        start = after === undefined ? last : Math.min(after, last);
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
      if (access !== undefined) {
        accesses.set(stream, access);
      }
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
