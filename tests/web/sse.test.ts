// The console's Server-Sent Events parser, against the HTML standard's rules, whatever the chunks.
import { describe, expect, it } from 'vitest';
import { type SseEvent, createSseParser } from '../../web/src/sse.js';

/** Parses `chunks` in order: the events, the retry values and the comments seen. */
function parse(chunks: readonly string[], lastEventId?: string) {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = createSseParser(
    { event: (e) => events.push(e), retry: (ms) => retries.push(ms), comment: (c) => comments.push(c) },
    lastEventId,
  );
  for (const chunk of chunks) {
    parser.push(chunk);
  }
  return { events, retries, comments, lastEventId: parser.lastEventId() };
}

const STREAM =
  'retry: 3000\n\nid: 43\nevent: server.updated\ndata: {"seq":43}\n\n: heartbeat\n\nid: 44\nevent: server.deleted\ndata: {"seq":44}\n\n';

describe('the SSE parser', () => {
  it("reads the API's stream: ids, event names, data, retry and heartbeats", () => {
    const { events, retries, comments, lastEventId } = parse([STREAM]);
    expect(events).toStrictEqual([
      { type: 'server.updated', data: '{"seq":43}', lastEventId: '43' },
      { type: 'server.deleted', data: '{"seq":44}', lastEventId: '44' },
    ]);
    expect(retries).toStrictEqual([3000]);
    expect(comments).toStrictEqual(['heartbeat']);
    expect(lastEventId).toBe('44');
  });

  it('gives the same events whatever the chunks, down to one character at a time', () => {
    const whole = parse([STREAM]).events;
    const characters = Array.from({ length: STREAM.length }, (_, i) => STREAM.slice(i, i + 1));
    expect(parse(characters).events).toStrictEqual(whole);
    for (let cut = 1; cut < STREAM.length; cut += 7) {
      expect(parse([STREAM.slice(0, cut), STREAM.slice(cut)]).events, String(cut)).toStrictEqual(whole);
    }
  });

  it('takes CRLF, CR and LF line ends, a CRLF cut between two chunks too', () => {
    const expected = [{ type: 'message', data: 'a', lastEventId: '1' }];
    expect(parse(['id: 1\r\ndata: a\r\n\r\n']).events).toStrictEqual(expected);
    expect(parse(['id: 1\rdata: a\r\r']).events).toStrictEqual(expected);
    // A CR then a LF in the next chunk is one line end, not an empty line that would dispatch early.
    expect(parse(['id: 1\r', '\ndata: a\r', '\n', '\r', '\n']).events).toStrictEqual(expected);
  });

  it('joins data lines with line feeds and takes one space after the colon only', () => {
    const { events } = parse(['data:first\ndata:  second\ndata\n\n']);
    expect(events).toStrictEqual([{ type: 'message', data: 'first\n second\n', lastEventId: '' }]);
  });

  it('dispatches nothing for an event without data, and resets the event name after each event', () => {
    const { events } = parse(['event: server.updated\n\ndata: x\n\n']);
    expect(events).toStrictEqual([{ type: 'message', data: 'x', lastEventId: '' }]);
  });

  it('keeps the last id for the events after it, and ignores an id with NUL', () => {
    const { events } = parse(['id: 7\ndata: a\n\ndata: b\n\nid: 8\0\ndata: c\n\n']);
    expect(events.map((e) => e.lastEventId)).toStrictEqual(['7', '7', '7']);
  });

  it('drops an event the stream cut before its blank line, and resumes after the last complete one', () => {
    const { events, lastEventId } = parse(['id: 5\ndata: a\n\nid: 6\ndata: {"cut'], '4');
    expect(events.map((e) => e.data)).toStrictEqual(['a']);
    expect(lastEventId).toBe('5');
    // Before any event, the id to resume after is the one the parser started with.
    expect(parse([': heartbeat\n\n'], '4').lastEventId).toBe('4');
  });

  it('ignores unknown fields, a retry that is not digits, and a byte order mark at the start only', () => {
    const { events, retries } = parse(['\uFEFFfoo: bar\nretry: 1s\nretry: 250\ndata: \uFEFFx\n\n']);
    expect(retries).toStrictEqual([250]);
    expect(events).toStrictEqual([{ type: 'message', data: '\uFEFFx', lastEventId: '' }]);
  });
});
