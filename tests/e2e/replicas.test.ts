import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN } from '../helpers/build-test-app.js';
import { dialect, freshDatabaseUrl } from '../helpers/database.js';
import { type ServerProcess, runMain, startServer } from '../helpers/server-process.js';

const auth = { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' };

// Two API processes on one PostgreSQL database, as two replicas behind a load balancer.
describe.runIf(dialect === 'postgres')('two server processes on one PostgreSQL database', () => {
  let url: string;
  let replicas: ServerProcess[] = [];

  beforeAll(async () => {
    url = await freshDatabaseUrl();
    const env = { DATABASE_URL: url, INVENTORY_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN };
    // Both start at once on the empty database: one applies the migrations and seeds, the other waits.
    replicas = await Promise.all([startServer({ env }), startServer({ env })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGTERM')));
  });
  const replica = (i: number) => {
    const r = replicas[i % 2];
    if (r === undefined) {
      throw new Error('no replica');
    }
    return r.url;
  };

  it('seeds the sample servers once and serves them from both', async () => {
    for (const i of [0, 1]) {
      const body = (await (await fetch(`${replica(i)}/api/v1/servers`)).json()) as { count: number };
      expect(body.count).toBe(2);
    }
  });

  it('reads through one what was written through the other', async () => {
    const created = await fetch(`${replica(0)}/api/v1/servers`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ hostname: 'replica-a', ip: '10.50.0.1', status: 'up' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const read = await fetch(`${replica(1)}/api/v1/servers/${id}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { hostname: string }).hostname).toBe('replica-a');
    expect(read.headers.get('etag')).toBe(created.headers.get('etag'));
  });

  it('lets exactly one of 20 conflicting If-Match updates through both replicas win; the rest get 412', async () => {
    const created = await fetch(`${replica(0)}/api/v1/servers`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ hostname: 'race-target', ip: '10.50.0.2', status: 'up' }),
    });
    const { id } = (await created.json()) as { id: number };
    const etag = created.headers.get('etag') ?? '';
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${replica(i)}/api/v1/servers/${id}`, {
          method: 'PATCH',
          headers: { ...auth, 'if-match': etag },
          body: JSON.stringify({ notes: `writer ${i}` }),
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toStrictEqual([200, ...Array<number>(19).fill(412)]);
    const winner = results.findIndex((r) => r.status === 200);
    const final = (await (await fetch(`${replica(1)}/api/v1/servers/${id}`)).json()) as { notes: string };
    expect(final.notes).toBe(`writer ${winner}`);
    const history = (await (await fetch(`${replica(0)}/api/v1/servers/${id}/history`)).json()) as {
      changes: unknown[];
    };
    expect(history.changes).toHaveLength(2);
  });

  it('answers concurrent creates of one host name through both replicas with one 201 and 409s, never a 500', async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        fetch(`${replica(i)}/api/v1/servers`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ hostname: 'contested', ip: `10.50.1.${i + 1}`, status: 'up' }),
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toStrictEqual([201, ...Array<number>(15).fill(409)]);
    const conflict = results.find((r) => r.status === 409);
    expect(((await conflict?.json()) as { code: string }).code).toBe('SERVER_CONFLICT');
    const listed = (await (await fetch(`${replica(1)}/api/v1/servers?hostname=contested`)).json()) as {
      count: number;
    };
    expect(listed.count).toBe(1);
  });

  it('refuses to start with INVENTORY_MIGRATE=false on a database whose schema is behind', async () => {
    const empty = await freshDatabaseUrl();
    const run = runMain({ env: { DATABASE_URL: empty, INVENTORY_MIGRATE: 'false', PORT: '0' } });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('The database schema is behind this version');
    expect(run.output()).toContain('cli.mjs migrate');
  });

  it('starts with INVENTORY_MIGRATE=false on a migrated database', async () => {
    const env = { DATABASE_URL: url, INVENTORY_MIGRATE: 'false' };
    const third = await startServer({ env });
    try {
      expect((await fetch(`${third.url}/api/v1/health/ready`)).status).toBe(200);
    } finally {
      expect(await third.stop('SIGTERM')).toBe(0);
    }
  });
});
