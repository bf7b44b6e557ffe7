import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTIONS_CHECK_INTERVAL_MS } from '../../src/plugins/protection.js';
import { BOOTSTRAP_TOKEN, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import {
  HEALTH_REQUEST,
  type RawConnection,
  listenOnLoopback,
  openConnection,
  parseResponses,
  responses,
  within,
} from '../helpers/raw-http.js';

// Short timeouts, so that the test waits seconds; Node's check interval stays the production one.
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
/** How late a timeout may be cut: the check interval, and some room for a loaded machine. */
const LATENESS_MS = CONNECTIONS_CHECK_INTERVAL_MS + 1000;

const TIMED_OUT = {
  error: 'The request did not arrive in time: send it again without pauses',
  code: 'REQUEST_TIMEOUT',
};

const opened: RawConnection[] = [];
async function connect(port: number): Promise<RawConnection> {
  const connection = await openConnection(port);
  opened.push(connection);
  return connection;
}
afterEach(() => {
  // A failed test must not leave a connection that keeps the app from closing.
  for (const connection of opened.splice(0)) {
    connection.socket.destroy();
  }
});

/** Writes `chunk` every 100 ms while the connection is open: a client that is slow, never idle. */
function dribble(connection: RawConnection, chunk: string): () => void {
  const timer = setInterval(() => {
    if (connection.socket.writable) {
      connection.socket.write(chunk);
    }
  }, 100);
  return () => {
    clearInterval(timer);
  };
}

describe('the header and request timeouts', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await buildTestApp({ timeouts: { headersMs: HEADERS_TIMEOUT_MS, requestMs: REQUEST_TIMEOUT_MS } });
    port = await listenOnLoopback(t.app);
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('answer headers that never end (slowloris) with 408 REQUEST_TIMEOUT on time, and close the connection', async () => {
    const connection = await connect(port);
    connection.socket.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n');
    const stop = dribble(connection, 'X-Slow: 1\r\n');
    const closedAfter = await within(HEADERS_TIMEOUT_MS + LATENESS_MS + 1000, connection.closed, 'a slowloris').finally(
      stop,
    );

    expect(closedAfter).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(HEADERS_TIMEOUT_MS + LATENESS_MS);
    const [response, ...others] = parseResponses(connection.received());
    expect(response?.status).toBe(408);
    expect(response?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response?.headers.connection).toBe('close');
    expect(JSON.parse(response?.body ?? '')).toStrictEqual(TIMED_OUT);
    expect(others).toStrictEqual([]);
  });

  it('answer a body that arrives too slowly with 408 REQUEST_TIMEOUT on time, and write nothing', async () => {
    const connection = await connect(port);
    connection.socket.write(
      'POST /api/v1/servers HTTP/1.1\r\nHost: localhost\r\n' +
        `Authorization: Bearer ${BOOTSTRAP_TOKEN}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 1000\r\n\r\n{"hostname": "slow-01", "ip": "192.0.2.1", "notes": "',
    );
    const stop = dribble(connection, 'x');
    const closedAfter = await within(REQUEST_TIMEOUT_MS + LATENESS_MS + 1000, connection.closed, 'a slow body').finally(
      stop,
    );

    expect(closedAfter).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + LATENESS_MS);
    const [response, ...others] = parseResponses(connection.received());
    expect(response?.status).toBe(408);
    expect(JSON.parse(response?.body ?? '')).toStrictEqual(TIMED_OUT);
    expect(others).toStrictEqual([]);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/servers?hostname=slow-01' });
    expect(list.json<{ count: number }>().count).toBe(0);
  });

  it('leave an idle keep-alive connection open past them, for its next request', async () => {
    const connection = await connect(port);
    connection.socket.write(HEALTH_REQUEST);
    expect((await responses(connection, 1)).map((r) => r.status)).toStrictEqual([200]);
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + LATENESS_MS));
    connection.socket.write(HEALTH_REQUEST);
    expect((await responses(connection, 2)).map((r) => r.status)).toStrictEqual([200, 200]);
  });
});

describe('MAX_CONNECTIONS', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await buildTestApp({ env: { MAX_CONNECTIONS: '2' } });
    port = await listenOnLoopback(t.app);
  });
  afterAll(async () => {
    await t.app.close();
  });

  async function serverConnections(): Promise<number> {
    return new Promise((resolve, reject) => {
      t.app.server.getConnections((error, count) => {
        if (error === null) {
          resolve(count);
        } else {
          reject(error);
        }
      });
    });
  }

  it('closes a connection over the cap unanswered, keeps serving those under it, and logs it once', async () => {
    const first = await connect(port);
    const second = await connect(port);
    for (const connection of [first, second]) {
      connection.socket.write(HEALTH_REQUEST);
      expect((await responses(connection, 1)).map((r) => r.status)).toStrictEqual([200]);
    }

    const over = await connect(port);
    over.socket.write(HEALTH_REQUEST);
    expect(await within(2000, over.closed, 'the connection over the cap')).toBeLessThan(2000);
    expect(over.received()).toBe('');
    const another = await connect(port);
    await within(2000, another.closed, 'a second connection over the cap');

    first.socket.write(HEALTH_REQUEST);
    expect((await responses(first, 2)).map((r) => r.status)).toStrictEqual([200, 200]);

    // Once a connection goes, a new one is served.
    second.socket.destroy();
    await within(
      2000,
      (async () => {
        while ((await serverConnections()) >= 2) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })(),
      'the server seeing a connection go',
    );
    const next = await connect(port);
    next.socket.write(HEALTH_REQUEST);
    expect((await responses(next, 1)).map((r) => r.status)).toStrictEqual([200]);

    const warnings = t.logs.entries().filter((entry) => entry.msg === 'refused connections over MAX_CONNECTIONS');
    expect(warnings).toMatchObject([{ level: 40, dropped: 1, maxConnections: 2 }]);
  });
});
