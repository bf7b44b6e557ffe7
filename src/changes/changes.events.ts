import type { ServerChangeRow } from '../db/types.js';
import { toChange } from './changes.mapper.js';
import { CHANGE_EVENTS } from './changes.schemas.js';

// The change stream's wire format: Server-Sent Events (the WHATWG HTML standard, 9.2), UTF-8.

/** A change as the stream sends it: its seq, and its event already framed, shared by every stream. */
export interface StreamEvent {
  seq: number;
  frame: Buffer;
}

/**
 * A change as one event: `id` its seq (what a reconnecting client sends back in Last-Event-ID),
 * `event` its type, `data` the change as the feed's JSON. JSON.stringify writes no line break (it
 * escapes them inside strings), so the data is one line, as the format needs.
 */
export function toEvent(row: ServerChangeRow): StreamEvent {
  const data = JSON.stringify(toChange(row));
  return { seq: row.seq, frame: Buffer.from(`id: ${row.seq}\nevent: ${CHANGE_EVENTS[row.action]}\ndata: ${data}\n\n`) };
}

/** A comment: clients ignore it, and the connection does not look idle to proxies and to the server's own timeout. */
export const HEARTBEAT = Buffer.from(': heartbeat\n\n');

/** How long an EventSource waits before it reconnects, in milliseconds: sent first, as `retry`. */
export const RECONNECT_MS = 3000;

/** The first bytes of a stream: the reconnection delay (which also sends the headers at once). */
export const OPENING = Buffer.from(`retry: ${RECONNECT_MS}\n\n`);
