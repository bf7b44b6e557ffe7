import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN } from '../helpers/build-test-app.js';
import { dialect } from '../helpers/database.js';
import { PostgresCluster, postgresBin } from '../helpers/postgres-cluster.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

const bin = postgresBin();
if (dialect === 'postgres' && bin === undefined && process.env.CI === 'true') {
  throw new Error('PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are required in CI');
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) {
      return Date.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

// The API on a PostgreSQL server of its own, which the test stops and starts again.
describe.runIf(dialect === 'postgres' && bin !== undefined)('a restart of the PostgreSQL server', () => {
  let cluster: PostgresCluster;
  let server: ServerProcess;

  beforeAll(async () => {
    cluster = await PostgresCluster.create(bin ?? '');
    cluster.start();
    server = await startServer({
      env: { DATABASE_URL: cluster.url, INVENTORY_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, READINESS_TIMEOUT_MS: '500' },
    });
  }, 60_000);
  afterAll(async () => {
    if (server.child.exitCode === null) {
      await server.stop('SIGKILL');
    }
    cluster.destroy();
  });

  it('answers 503 while the database is down, stays up, and recovers by itself once it is back', async () => {
    expect((await fetch(`${server.url}/api/v1/servers/1`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/health/ready`)).status).toBe(200);

    cluster.stop();
    const down = await fetch(`${server.url}/api/v1/servers/1`);
    expect(down.status).toBe(503);
    expect(await down.json()).toStrictEqual({
      error: 'The database is unavailable; retry later',
      code: 'DATABASE_UNAVAILABLE',
    });
    expect(down.headers.get('retry-after')).toBe('5');
    const write = await fetch(`${server.url}/api/v1/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ hostname: 'during-outage', ip: '10.60.0.1', status: 'up' }),
    });
    expect(write.status).toBe(503);
    const ready = await fetch(`${server.url}/api/v1/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { code: string }).code).toBe('NOT_READY');
    // Liveness stays green: restarting the API would not bring the database back.
    expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);

    cluster.start();
    await until(async () => (await fetch(`${server.url}/api/v1/health/ready`)).status === 200, 20_000);
    expect((await fetch(`${server.url}/api/v1/servers/1`)).status).toBe(200);
    const created = await fetch(`${server.url}/api/v1/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ hostname: 'after-outage', ip: '10.60.0.2', status: 'up' }),
    });
    expect(created.status).toBe(201);
    // The write refused during the outage left nothing behind.
    const listed = (await (await fetch(`${server.url}/api/v1/servers?hostname=during-outage`)).json()) as {
      count: number;
    };
    expect(listed.count).toBe(0);
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).toContain('a database connection failed; the pool replaces it');
  }, 60_000);
});
