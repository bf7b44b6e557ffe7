// The activity page's list: changes from the stream read safely, merged with the feed's, newest first.
import { describe, expect, it } from 'vitest';
import { changeOfEvent, mergeChanges, serverName, streamStart } from '../../web/src/activity.js';
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
