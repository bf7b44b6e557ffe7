// A Server-Sent Events parser, as the HTML standard describes the format ("Parsing an event stream",
// https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation): text in,
// events out, whatever the chunks' boundaries. No browser globals: tests/web/sse.test.ts runs it in Node.

/** One dispatched event. */
export interface SseEvent {
  /** `event:`, or `message` when the event named none. */
  type: string;
  /** The `data:` lines, joined by line feeds. */
  data: string;
  /** The last `id:` received so far (it carries over to the events after it), or '' before any. */
  lastEventId: string;
}

export interface SseHandlers {
  event: (event: SseEvent) => void;
  /** A `retry:` field: the reconnection time the server asks for, in milliseconds. */
  retry?: (ms: number) => void;
  /** A comment line (`: heartbeat`): the connection is alive. */
  comment?: (text: string) => void;
}

export interface SseParser {
  /** Takes the next piece of the decoded stream (any length, cut anywhere). */
  push: (chunk: string) => void;
  /** The id to resume after: the last `id:` as of the last blank line (what a reconnection sends). */
  lastEventId: () => string;
}

/** The longest line, and the most data one event gathers, in characters: past either, push throws. */
export const SSE_MAX_LENGTH = 1 << 20;

/** What push throws when a line or an event's data passes SSE_MAX_LENGTH: the connection is to be dropped. */
export class SseOverflowError extends Error {
  constructor(what: 'line' | 'data') {
    super(
      `the stream sent ${what === 'line' ? 'a line' : "an event's data"} longer than ${String(SSE_MAX_LENGTH)} characters`,
    );
    this.name = 'SseOverflowError';
  }
}

/**
 * A parser for one connection. What follows the last blank line when the stream ends is never
 * dispatched, as the standard says: an event cut by a dropped connection is sent again after a resume.
 * A line or an event's data longer than SSE_MAX_LENGTH throws SseOverflowError (the stream is not the
 * API's, or has gone wrong): the caller drops the connection rather than hold it all in memory.
 */
export function createSseParser(handlers: SseHandlers, lastEventId = ''): SseParser {
  /** The line under way: what came after the last line end. */
  let pending = '';
  let started = false;
  /** A chunk ended with CR: a LF at the start of the next one belongs to the same line end. */
  let afterCr = false;
  let data: string[] = [];
  /** The characters of `data`, joined. */
  let dataLength = 0;
  let type = '';
  let id = lastEventId;
  let committed = lastEventId;

  function line(text: string): void {
    if (text === '') {
      committed = id;
      if (data.length > 0) {
        handlers.event({ type: type === '' ? 'message' : type, data: data.join('\n'), lastEventId: id });
      }
      data = [];
      dataLength = 0;
      type = '';
      return;
    }
    if (text.startsWith(':')) {
      handlers.comment?.(text.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    const value = colon === -1 ? '' : text.slice(colon + 1).replace(/^ /, '');
    switch (field) {
      case 'event':
        type = value;
        break;
      case 'data':
        dataLength += value.length + 1;
        if (dataLength > SSE_MAX_LENGTH) {
          throw new SseOverflowError('data');
        }
        data.push(value);
        break;
      case 'id':
        // An id with NUL is ignored (the standard), so that it cannot end a header on a reconnect.
        if (!value.includes('\0')) {
          id = value;
        }
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) {
          handlers.retry?.(Number(value));
        }
        break;
      default:
        // Any other field is ignored.
        break;
    }
  }

  return {
    push(chunk) {
      if (chunk === '') {
        return;
      }
      let text = chunk;
      if (!started) {
        started = true;
        // One byte order mark at the very start is not part of the stream.
        text = text.replace(/^\uFEFF/, '');
      }
      if (afterCr && text.startsWith('\n')) {
        text = text.slice(1);
      }
      afterCr = false;
      // Only the new text is scanned for line ends: a long line sent in many chunks costs its length once.
      const breaks = /\r\n|\r|\n/g;
      let start = 0;
      for (let found = breaks.exec(text); found !== null; found = breaks.exec(text)) {
        const whole = pending + text.slice(start, found.index);
        pending = '';
        if (whole.length > SSE_MAX_LENGTH) {
          throw new SseOverflowError('line');
        }
        start = found.index + found[0].length;
        afterCr = found[0] === '\r' && start === text.length;
        line(whole);
      }
      pending += text.slice(start);
      if (pending.length > SSE_MAX_LENGTH) {
        throw new SseOverflowError('line');
      }
    },
    lastEventId: () => committed,
  };
}
