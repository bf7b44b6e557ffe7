// The activity page's list: changes from the stream read safely, merged with the feed's, newest first.
import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_MAX,
  ACTIVITY_PAGE,
  changeOfEvent,
  mergeChanges,
  offersOlder,
  oldestSeq,
  serverName,
  streamStart,
  withLive,
  withOlder,
} from '../../web/src/activity.js';
import type { components } from '../../web/src/openapi.js';

type Change = components['schemas']['Change'];

function change(seq: number, extra: Partial<Change> = {}): Change {
  return {
    seq,
    server_id: 3,
    action: 'update',
    at: '2026-12-01T00:00:00.000Z',
    actor: 'ops',
    changes: { status: { from: 'up', to: 'down' } },
    server: null,
    ...extra,
  };
}

describe('a change from the stream', () => {
  it('reads the change an event carries, exactly as the feed gives it', () => {
    const c = change(12);
    expect(changeOfEvent({ type: 'server.updated', data: JSON.stringify(c), lastEventId: '12' })).toStrictEqual(c);
  });

  it('ignores other events and bodies that are not a change', () => {
    const good = JSON.stringify(change(1));
    for (const [type, data] of [
      ['message', good],
      ['ping', good],
      ['server.updated', '{"seq":'],
      ['server.updated', 'null'],
      ['server.updated', JSON.stringify({ ...change(1), action: 'rename' })],
      ['server.updated', JSON.stringify({ ...change(1), seq: '1' })],
      ['server.updated', JSON.stringify({ ...change(1), changes: [] })],
    ]) {
      expect(changeOfEvent({ type: type ?? '', data: data ?? '', lastEventId: '1' }), `${type} ${data}`).toBeNull();
    }
  });
});

describe('the list', () => {
  it('merges the stream and the feed newest first, each change once, at most the given number', () => {
    const merged = mergeChanges([change(7), change(5)], [change(5), change(4), change(6)]);
    expect(merged.map((c) => c.seq)).toStrictEqual([7, 6, 5, 4]);
    expect(mergeChanges([change(3)], [change(2), change(1)], 2).map((c) => c.seq)).toStrictEqual([3, 2]);
  });

  it('starts the stream after the newest change shown, or after 0 for an empty feed', () => {
    expect(streamStart([change(4), change(9), change(2)])).toBe('9');
    expect(streamStart([])).toBe('0');
  });

  it('names the server by its host name as the change left it, else by its id', () => {
    const server = { hostname: 'web-01' } as Change['server'];
    expect(serverName(change(1, { server }))).toBe('web-01');
    expect(serverName(change(1, { server_id: 42 }))).toBe('#42');
  });
});

describe('one list, kept without a gap', () => {
  const page = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => change(from - i));

  it('puts a newer change on top, merges an older or repeated one in place, and keeps the newest max', () => {
    const list = page(50, 1);
    expect(
      withLive(list, change(51))
        .map((c) => c.seq)
        .slice(0, 2),
    ).toStrictEqual([51, 50]);
    expect(withLive(list, change(50))).toHaveLength(50);
    expect(withLive(page(10, 6), change(3), 5).map((c) => c.seq)).toStrictEqual([10, 9, 8, 7, 6]);
    expect(withLive(page(10, 6), change(11), 5).map((c) => c.seq)).toStrictEqual([11, 10, 9, 8, 7]);
  });

  it('after more live changes than the cap, runs without a hole, and the older page follows the oldest kept', () => {
    let list = page(5000, 4951);
    for (let seq = 5001; seq <= 6200; seq += 1) {
      list = withLive(list, change(seq));
    }
    expect(list).toHaveLength(ACTIVITY_MAX);
    const seqs = list.map((c) => c.seq);
    expect(seqs.every((seq, i) => i === 0 || seqs[i - 1] === seq + 1)).toBe(true);
    expect(seqs[0]).toBe(6200);
    expect(oldestSeq(list)).toBe(6200 - ACTIVITY_MAX + 1);
    // At the cap, no older page is offered: it would be dropped at once.
    expect(offersOlder(ACTIVITY_PAGE, list, false)).toBe(false);
    const short = list.slice(0, 900);
    expect(offersOlder(ACTIVITY_PAGE, short, false)).toBe(true);
    const before = oldestSeq(short) ?? 0;
    const older = withOlder(short, page(before - 1, before - ACTIVITY_PAGE));
    const olderSeqs = older.map((c) => c.seq);
    expect(olderSeqs.every((seq, i) => i === 0 || olderSeqs[i - 1] === seq + 1)).toBe(true);
    expect(older).toHaveLength(950);
  });

  it('offers older changes only after a full first page, until the last page', () => {
    // A small feed plus live changes reaching 50 is still the whole feed.
    expect(offersOlder(10, page(60, 1), false)).toBe(false);
    expect(offersOlder(ACTIVITY_PAGE, page(60, 11), false)).toBe(true);
    expect(offersOlder(ACTIVITY_PAGE, page(60, 1), true)).toBe(false);
    expect(oldestSeq([])).toBeNull();
  });
});
