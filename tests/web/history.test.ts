// A deleted server's page: the API keeps its history, whose last change says who deleted it and when.
import { describe, expect, it } from 'vitest';
import { deletion } from '../../web/src/history.js';

const change = (seq: number, action: 'create' | 'update' | 'delete') => ({
  seq,
  server_id: 7,
  action,
  actor: `actor-${seq}`,
  at: `2026-11-0${seq}T10:00:00.000Z`,
  changes: {},
});

describe('deletion', () => {
  it('is the last change when it deleted the server', () => {
    const changes = [change(1, 'create'), change(2, 'update'), change(3, 'delete')];
    expect(deletion(changes as never)).toMatchObject({ seq: 3, actor: 'actor-3', at: '2026-11-03T10:00:00.000Z' });
  });

  it('is null for a server that still exists, and for an empty history', () => {
    expect(deletion([change(1, 'create'), change(2, 'update')] as never)).toBeNull();
    expect(deletion([])).toBeNull();
  });
});
