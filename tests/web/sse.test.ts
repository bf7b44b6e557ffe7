// The console's Server-Sent Events parser, against the HTML standard's rules, whatever the chunks.
import { describe, expect, it } from 'vitest';
import { SSE_MAX_LENGTH, type SseEvent, SseOverflowError, createSseParser } from '../../web/src/sse.js';

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

describe('the SSE parser against a stream that never ends its line', () => {
  it('throws once a line passes the limit, long before a 13 MB line is all in', () => {
    const parser = createSseParser({ event: () => undefined });
    const chunk = `data: ${'x'.repeat(65_530)}`.slice(0, 65_536);
    let pushed = 0;
    expect(() => {
      for (; pushed < 200; pushed += 1) {
        parser.push(pushed === 0 ? chunk : 'x'.repeat(65_536));
      }
    }).toThrow(SseOverflowError);
    // The limit is 1 MiB: the 17th chunk of 64 KiB passes it, and nothing after is read.
    expect(pushed).toBe(SSE_MAX_LENGTH / 65_536);
  });

  it("throws once an event's data lines add up past the limit, and reads an event just under it", () => {
    const line = `data: ${'y'.repeat(1023)}\n`;
    const under = parse([line.repeat(SSE_MAX_LENGTH / 1024 - 1), '\n']);
    expect(under.events).toHaveLength(1);
    expect(under.events[0]?.data.length).toBe((SSE_MAX_LENGTH / 1024 - 1) * 1024 - 1);
    expect(() => parse([line.repeat(SSE_MAX_LENGTH / 1024 + 1)])).toThrow(SseOverflowError);
  });

  it('keeps a long line cut in many chunks whole', () => {
    const long = 'z'.repeat(300_000);
    const chunks = [
      `id: 9\ndata: ${long.slice(0, 100_000)}`,
      long.slice(100_000, 200_000),
      `${long.slice(200_000)}\r`,
      '\n\n',
    ];
    expect(parse(chunks).events).toStrictEqual([{ type: 'message', data: long, lastEventId: '9' }]);
  });
});
