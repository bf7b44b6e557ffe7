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

/**
 * A parser for one connection. What follows the last blank line when the stream ends is never
 * dispatched, as the standard says: an event cut by a dropped connection is sent again after a resume.
 */
export function createSseParser(handlers: SseHandlers, lastEventId = ''): SseParser {
  let buffer = '';
  let started = false;
  /** A chunk ended with CR: a LF at the start of the next one belongs to the same line end. */
  let afterCr = false;
  let data: string[] = [];
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
      buffer += text;
      const breaks = /\r\n|\r|\n/g;
      let start = 0;
      for (let found = breaks.exec(buffer); found !== null; found = breaks.exec(buffer)) {
        line(buffer.slice(start, found.index));
        start = found.index + found[0].length;
        afterCr = found[0] === '\r' && start === buffer.length;
      }
      buffer = buffer.slice(start);
    },
    lastEventId: () => committed,
  };
}
