// Webhook subscriptions over HTTP, on the database the suite runs on.
import type { Response as LightMyRequestResponse } from 'light-my-request';
import { afterEach, describe, expect, it } from 'vitest';
import { errorRegistry } from '../../src/errors.js';
import type { ErrorResponse } from '../../src/shared/schemas.js';
import type { Webhook, WebhookList, WebhookSecret } from '../../src/webhooks/webhooks.schemas.js';
import { openSecret } from '../../src/webhooks/webhooks.secrets.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { PUBLIC_URL, createWebhook, webhookRow } from '../helpers/webhooks.js';

let t: TestApp;
let clock: Date;
async function start(env: Record<string, string | undefined> = {}): Promise<void> {
  clock = new Date('2026-06-01T10:00:00.000Z');
  t = await buildTestApp({ env, now: () => clock });
}
afterEach(async () => {
  await t.app.close();
});

type Headers = Record<string, string>;
const call = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Headers = AS_BOOTSTRAP,
) => t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
const create = (body: Record<string, unknown>, headers?: Headers) => call('POST', '/api/v1/webhooks', body, headers);
const error = (res: LightMyRequestResponse) => res.json<ErrorResponse>();
const fields = (res: LightMyRequestResponse) => error(res).details?.map((d) => d.field);

async function tokenOf(scope: 'read' | 'write' | 'admin'): Promise<Headers> {
  const res = await call('POST', '/api/v1/tokens', { name: `${scope}-bot`, scope });
  expect(res.statusCode, res.body).toBe(201);
  return { authorization: `Bearer ${res.json<{ secret: string }>().secret}` };
}

/** The stored row of a subscription, secrets and all. */
const stored = (id: number) => t.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const WEBHOOK_KEYS = [
  'active',
  'after_seq',
  'consecutive_failures',
  'created_at',
  'created_by',
  'description',
  'disabled_reason',
  'events',
  'filter',
  'id',
  'previous_secret_expires_at',
  'updated_at',
  'updated_by',
  'url',
];

describe('POST /api/v1/webhooks', () => {
  it('creates a subscription with its defaults and shows the secret once: 201, Location, no-store', async () => {
    await start();
    const res = await create({ url: PUBLIC_URL });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe('/api/v1/webhooks/1');
    expect(res.headers['cache-control']).toBe('no-store');
    const { secret, ...webhook } = res.json<Webhook & { secret: string }>();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    // The two sample servers' creations are in the feed: the changes after them are delivered.
    expect(webhook).toStrictEqual({
      id: 1,
      url: PUBLIC_URL,
      events: ['server.created', 'server.updated', 'server.deleted'],
      filter: '',
      description: null,
      active: true,
      disabled_reason: null,
      consecutive_failures: 0,
      previous_secret_expires_at: null,
      after_seq: 2,
      created_at: '2026-06-01T10:00:00.000Z',
      updated_at: '2026-06-01T10:00:00.000Z',
      created_by: 'bootstrap',
      updated_by: 'bootstrap',
    });
    expect((await stored(1)).secret).toBe(secret);
    const get = await call('GET', '/api/v1/webhooks/1');
    expect(get.json()).toStrictEqual(webhook);
  });

  it('takes events, a filter, a description and active; after_seq follows the change feed', async () => {
    await start();
    expect((await call('POST', '/api/v1/servers', { hostname: 'web-9', ip: '192.0.2.9' })).statusCode).toBe(201);
    const created = await createWebhook(t, {
      events: ['server.deleted', 'server.created'],
      filter: '?environment=production&role=web&status=up,down',
      description: 'Tickets\tfor deletions',
      active: false,
    });
    expect(created).toMatchObject({
      events: ['server.deleted', 'server.created'],
      filter: 'environment=production&role=web&status=up,down',
      description: 'Tickets\tfor deletions',
      active: false,
      after_seq: 3,
    });
  });

  it('stores the URL normalised, as it will be requested', async () => {
    await start();
    const created = await createWebhook(t, { url: 'HTTPS://93.184.215.14:443/a/../hooks/%7Einventory?x=1#part' });
    expect(created.url).toBe('https://93.184.215.14/hooks/%7Einventory?x=1');
  });

  it('takes filters on custom fields that are defined, checked by their type', async () => {
    await start();
    const field = await call('POST', '/api/v1/custom-fields', { name: 'rack', type: 'string' });
    expect(field.statusCode).toBe(201);
    expect((await createWebhook(t, { filter: 'cf_rack=R12&cf_rack__empty=false' })).filter).toBe(
      'cf_rack=R12&cf_rack__empty=false',
    );
    const unknown = await create({ url: PUBLIC_URL, filter: 'cf_rank=R12' });
    expect(unknown.statusCode).toBe(400);
    expect(error(unknown).details).toStrictEqual([
      {
        field: 'filter.cf_rank',
        message: 'is not a defined custom field: GET /api/v1/custom-fields lists them',
      },
    ]);
  });

  it('answers 400 naming each bad filter parameter, as the list would', async () => {
    await start();
    const res = await create({ url: PUBLIC_URL, filter: 'status=sideways&ip=10.0.0.300&sort=-id&limit=5' });
    expect(res.statusCode).toBe(400);
    expect(error(res).code).toBe('VALIDATION_FAILED');
    expect(fields(res)?.sort()).toStrictEqual(['filter.limit', 'filter.sort']);
    expect(error(res).details?.[0]?.message).toMatch(
      /^is not a filter: a filter selects servers, and takes no sort, paging or format$/,
    );
    const values = await create({ url: PUBLIC_URL, filter: 'status=sideways&ip=10.0.0.300&updated_since=yesterday' });
    expect(error(values).details).toStrictEqual([
      { field: 'filter.updated_since', message: 'must be an RFC 3339 date-time such as 2026-01-31T00:00:00Z' },
    ]);
    const parsed = await create({ url: PUBLIC_URL, filter: 'status=sideways&ip=10.0.0.300' });
    expect(error(parsed).details).toStrictEqual([
      { field: 'filter.status', message: 'must be one of up, down, maintenance, decommissioned (got "sideways")' },
      { field: 'filter.ip', message: 'must be an IPv4 or IPv6 address (got "10.0.0.300")' },
    ]);
    const malformed = await create({ url: PUBLIC_URL, filter: 'q=%FF' });
    expect(error(malformed).details).toStrictEqual([
      { field: 'filter.q', message: 'must be percent-encoded UTF-8 (holds a malformed escape such as %FF)' },
    ]);
    const long = await create({ url: PUBLIC_URL, filter: `q=${'a'.repeat(4095)}` });
    expect(fields(long)).toStrictEqual(['filter']);
  });

  it.each([
    ['not a URL', '/hooks', 'must be an absolute URL such as https://hooks.example.com/inventory'],
    ['a scheme other than http(s)', 'ftp://93.184.215.14/hooks', 'must use http or https (got ftp)'],
    ['javascript:', 'javascript:alert(1)', 'must use http or https (got javascript)'],
    [
      'credentials',
      'https://user:pass@93.184.215.14/hooks',
      'must not hold credentials (user:password@): receivers authenticate deliveries by their signature',
    ],
    [
      'too long',
      `https://93.184.215.14/${'a'.repeat(2030)}`,
      'must be an absolute http or https URL of 1 to 2048 characters',
    ],
    [
      'too long once normalised',
      `https://93.184.215.14/${' '.repeat(700)}x`,
      'must be at most 2048 characters once normalised',
    ],
  ])('answers 400 naming url for %s', async (_case, url, message) => {
    await start();
    const res = await create({ url });
    expect(res.statusCode).toBe(400);
    expect(error(res)).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'url', message }] });
  });

  it('answers 400 naming every bad field at once', async () => {
    await start();
    const res = await create({
      url: PUBLIC_URL,
      events: ['server.created', 'server.created', 'server.exploded'],
      description: 'bell\u0007',
      active: 'yes',
      secret: 'whsec_mine',
    });
    expect(res.statusCode).toBe(400);
    expect(fields(res)?.sort()).toStrictEqual(['active', 'description', 'events', 'events[2]', 'secret']);
    const empty = await create({ url: PUBLIC_URL, events: [] });
    expect(error(empty).details).toStrictEqual([{ field: 'events', message: 'must name at least one event' }]);
    const missing = await create({});
    expect(error(missing).details).toStrictEqual([{ field: 'url', message: 'is required' }]);
  });

  it.each([
    ['http://127.0.0.1:8080/hook', '127.0.0.1 is a loopback address'],
    ['http://localhost/hook', 'host localhost resolves to'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['http://2130706433/', '127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://0x7f.1/', '127.0.0.1 is a loopback address'],
    ['http://[::1]/', '::1 is a loopback address'],
    ['http://[::ffff:127.0.0.1]/', 'an IPv4-mapped form of 127.0.0.1'],
    ['https://10.1.2.3/', '10.1.2.3 is a private address'],
    ['https://[fd00::1]/', 'fd00::1 is a unique local address'],
    ['https://100.64.0.1/', '100.64.0.1 is a carrier-grade NAT address'],
    ['https://0.0.0.0/', '0.0.0.0 is an unspecified address'],
  ])('refuses %s without WEBHOOK_ALLOW_PRIVATE_NETWORKS: 400 WEBHOOK_URL_FORBIDDEN', async (url, message) => {
    await start();
    const res = await create({ url });
    expect(res.statusCode).toBe(400);
    expect(error(res)).toMatchObject({
      code: 'WEBHOOK_URL_FORBIDDEN',
      error: errorRegistry.WEBHOOK_URL_FORBIDDEN.message,
      details: [{ field: 'url' }],
    });
    expect(error(res).details?.[0]?.message).toContain(message);
    expect((await call('GET', '/api/v1/webhooks')).json<WebhookList>().webhooks).toStrictEqual([]);
  });

  it('refuses a host that does not resolve: 400 naming url', async () => {
    await start();
    const res = await create({ url: 'https://hooks.invalid/inventory' });
    expect(res.statusCode).toBe(400);
    expect(error(res).details).toMatchObject([{ field: 'url' }]);
    expect(error(res).details?.[0]?.message).toMatch(/^host hooks\.invalid does not resolve \(/);
  });

  it('takes loopback, private and unresolved hosts with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true', async () => {
    await start({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/',
      'https://10.1.2.3/',
      'https://hooks.invalid/',
    ]) {
      expect((await create({ url })).statusCode, url).toBe(201);
    }
  });

  it('answers 409 WEBHOOK_LIMIT past 100 subscriptions', async () => {
    await start();
    await t.db
      .insertInto('webhooks')
      .values(Array.from({ length: 100 }, (_, i) => webhookRow(`${PUBLIC_URL}/${i}`)))
      .execute();
    const res = await create({ url: PUBLIC_URL });
    expect(res.statusCode).toBe(409);
    expect(error(res)).toStrictEqual({ error: errorRegistry.WEBHOOK_LIMIT.message, code: 'WEBHOOK_LIMIT' });
    expect((await call('DELETE', '/api/v1/webhooks/100')).statusCode).toBe(204);
    expect((await create({ url: PUBLIC_URL })).statusCode).toBe(201);
  });

  it('seals the secret in the database with WEBHOOK_SECRET_KEY', async () => {
    const key = Buffer.alloc(32, 7);
    await start({ WEBHOOK_SECRET_KEY: key.toString('base64') });
    const created = await createWebhook(t);
    const row = await stored(created.id);
    expect(row.secret).toMatch(/^enc:v1:/);
    expect(row.secret).not.toContain(created.secret.slice(6));
    expect(openSecret(row.secret, key)).toBe(created.secret);
  });
});

describe('the routes of /api/v1/webhooks', () => {
  const routes: ['GET' | 'POST' | 'PATCH' | 'DELETE', string, object?][] = [
    ['GET', '/api/v1/webhooks'],
    ['POST', '/api/v1/webhooks', { url: PUBLIC_URL }],
    ['GET', '/api/v1/webhooks/1'],
    ['PATCH', '/api/v1/webhooks/1', { active: false }],
    ['DELETE', '/api/v1/webhooks/1'],
    ['POST', '/api/v1/webhooks/1/rotate-secret'],
    ['POST', '/api/v1/webhooks/1/ping'],
    ['GET', '/api/v1/webhooks/1/deliveries'],
    ['POST', '/api/v1/webhooks/1/deliveries/1/redeliver'],
  ];

  it('answer 401 without a token and 403 to read and write tokens: they need admin', async () => {
    await start();
    await createWebhook(t);
    const read = await tokenOf('read');
    const write = await tokenOf('write');
    for (const [method, url, payload] of routes) {
      const anonymous = await call(method, url, payload, {});
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
      expect(error(anonymous).code).toBe('AUTH_REQUIRED');
      for (const headers of [read, write]) {
        const res = await call(method, url, payload, headers);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
        expect(res.headers['www-authenticate']).toContain('scope="admin"');
      }
    }
    expect((await call('GET', '/api/v1/webhooks/1')).json<Webhook>().active).toBe(true);
  });

  it('are open to an admin token other than the bootstrap one, recorded as the actor', async () => {
    await start();
    const admin = await tokenOf('admin');
    const res = await create({ url: PUBLIC_URL }, admin);
    expect(res.json<Webhook>().created_by).toBe('admin-bot');
    const patched = await call('PATCH', '/api/v1/webhooks/1', { description: 'x' });
    expect(patched.json<Webhook>()).toMatchObject({ created_by: 'admin-bot', updated_by: 'bootstrap' });
  });

  it('answer 404 WEBHOOK_NOT_FOUND for an unknown id, and 400 for an id that is not one', async () => {
    await start();
    for (const [method, url, payload] of routes.slice(2)) {
      const res = await call(method, url.replace('/webhooks/1', '/webhooks/99'), payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(error(res)).toMatchObject({
        code: 'WEBHOOK_NOT_FOUND',
        details: [{ field: 'id', message: 'no webhook has the id 99' }],
      });
      for (const id of ['abc', '0', '2147483648', '1e3']) {
        const bad = await call(method, url.replace('/webhooks/1', `/webhooks/${id}`), payload);
        expect(bad.statusCode, `${method} ${url} ${id}`).toBe(400);
        expect(fields(bad)).toStrictEqual(['id']);
      }
    }
  });
});

describe('GET /api/v1/webhooks', () => {
  it('lists every subscription by id, without a secret', async () => {
    await start();
    const first = await createWebhook(t, { description: 'first' });
    const second = await createWebhook(t, { events: ['server.deleted'] });
    const res = await call('GET', '/api/v1/webhooks');
    expect(res.statusCode).toBe(200);
    const { webhooks } = res.json<WebhookList>();
    expect(webhooks.map((w) => w.id)).toStrictEqual([first.id, second.id]);
    for (const webhook of webhooks) {
      expect(Object.keys(webhook).sort()).toStrictEqual(WEBHOOK_KEYS);
    }
    expect(res.body).not.toContain(first.secret);
    expect(res.body).not.toContain(second.secret);
  });

  it('refuses query parameters', async () => {
    await start();
    const res = await call('GET', '/api/v1/webhooks?limit=5');
    expect(res.statusCode).toBe(400);
    expect(fields(res)).toStrictEqual(['limit']);
  });
});

describe('PATCH /api/v1/webhooks/:id', () => {
  it('changes the fields given, checked as on creation; null clears the description', async () => {
    await start();
    await createWebhook(t, { description: 'old' });
    clock = new Date('2026-06-01T11:00:00.000Z');
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/webhooks/1',
      headers: { ...AS_BOOTSTRAP, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({
        url: 'https://93.184.215.14/other',
        events: ['server.updated'],
        filter: 'tag=pci',
        description: null,
      }),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      url: 'https://93.184.215.14/other',
      events: ['server.updated'],
      filter: 'tag=pci',
      description: null,
      active: true,
      created_at: '2026-06-01T10:00:00.000Z',
      updated_at: '2026-06-01T11:00:00.000Z',
    });
    expect(Object.keys(res.json<object>()).sort()).toStrictEqual(WEBHOOK_KEYS);
    expect((await call('PATCH', '/api/v1/webhooks/1', { filter: '' })).json<Webhook>().filter).toBe('');
  });

  it('refuses a forbidden URL, a bad filter and fields that cannot change, leaving the subscription as it was', async () => {
    await start();
    const created = await createWebhook(t);
    const forbidden = await call('PATCH', '/api/v1/webhooks/1', { url: 'http://[::1]/' });
    expect(forbidden.statusCode).toBe(400);
    expect(error(forbidden).code).toBe('WEBHOOK_URL_FORBIDDEN');
    const bad = await call('PATCH', '/api/v1/webhooks/1', { filter: 'role=', url: 'mailto:x@example.com' });
    expect(bad.statusCode).toBe(400);
    expect(fields(bad)).toStrictEqual(['url', 'filter.role']);
    for (const body of [{ secret: 'whsec_x' }, { id: 5 }, { after_seq: 0 }, { url: null }, { events: null }]) {
      const res = await call('PATCH', '/api/v1/webhooks/1', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    const { secret, ...webhook } = created;
    expect((await call('GET', '/api/v1/webhooks/1')).json()).toStrictEqual(webhook);
    expect((await stored(1)).secret).toBe(secret);
  });

  it('turns a subscription off and on; on again clears why it was disabled automatically', async () => {
    await start();
    await createWebhook(t);
    expect((await call('PATCH', '/api/v1/webhooks/1', { active: false })).json<Webhook>()).toMatchObject({
      active: false,
      disabled_reason: null,
    });
    await t.db
      .updateTable('webhooks')
      .set({ disabled_reason: 'the receiver answered 410 Gone', consecutive_failures: 20 })
      .where('id', '=', 1)
      .execute();
    const disabled = await call('GET', '/api/v1/webhooks/1');
    expect(disabled.json<Webhook>()).toMatchObject({
      active: false,
      disabled_reason: 'the receiver answered 410 Gone',
      consecutive_failures: 20,
    });
    // A change that does not turn it on leaves the reason.
    expect((await call('PATCH', '/api/v1/webhooks/1', { description: 'x' })).json<Webhook>().disabled_reason).toBe(
      'the receiver answered 410 Gone',
    );
    expect((await call('PATCH', '/api/v1/webhooks/1', { active: true })).json<Webhook>()).toMatchObject({
      active: true,
      disabled_reason: null,
      consecutive_failures: 0,
    });
  });
});

describe('DELETE /api/v1/webhooks/:id', () => {
  it('deletes the subscription with its deliveries and their attempts', async () => {
    await start();
    await createWebhook(t);
    const kept = await createWebhook(t);
    for (const id of [1, kept.id]) {
      expect((await call('POST', `/api/v1/webhooks/${id}/ping`)).statusCode).toBe(202);
    }
    await t.db
      .insertInto('webhook_attempts')
      .values({ delivery_id: 1, started_at: clock.toISOString(), duration_ms: 3, signature_timestamp: 1 })
      .execute();
    const res = await call('DELETE', '/api/v1/webhooks/1');
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await call('GET', '/api/v1/webhooks/1')).statusCode).toBe(404);
    expect((await call('DELETE', '/api/v1/webhooks/1')).statusCode).toBe(404);
    const deliveries = await t.db.selectFrom('webhook_deliveries').select('webhook_id').execute();
    expect(deliveries).toStrictEqual([{ webhook_id: kept.id }]);
    expect(await t.db.selectFrom('webhook_attempts').selectAll().execute()).toStrictEqual([]);
  });
});

describe('POST /api/v1/webhooks/:id/rotate-secret', () => {
  it('gives a new secret; the old one signs beside it for 24 hours, then no more', async () => {
    await start();
    const created = await createWebhook(t);
    clock = new Date('2026-06-02T08:00:00.000Z');
    const res = await call('POST', '/api/v1/webhooks/1/rotate-secret');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const rotated = res.json<WebhookSecret>();
    expect(rotated).toStrictEqual({
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/) as unknown,
      previous_secret_expires_at: '2026-06-03T08:00:00.000Z',
    });
    expect(rotated.secret).not.toBe(created.secret);
    expect(await stored(1)).toMatchObject({
      secret: rotated.secret,
      previous_secret: created.secret,
      previous_secret_expires_at: '2026-06-03T08:00:00.000Z',
      updated_by: 'bootstrap',
    });
    const get = await call('GET', '/api/v1/webhooks/1');
    expect(get.json<Webhook>().previous_secret_expires_at).toBe('2026-06-03T08:00:00.000Z');
    expect(get.body).not.toContain(rotated.secret);
    expect(get.body).not.toContain(created.secret);
    clock = new Date('2026-06-03T08:00:00.001Z');
    expect((await call('GET', '/api/v1/webhooks/1')).json<Webhook>().previous_secret_expires_at).toBeNull();
  });

  it('keeps two secrets at most: a second rotation drops the first secret', async () => {
    await start();
    const created = await createWebhook(t);
    const first = (await call('POST', '/api/v1/webhooks/1/rotate-secret')).json<WebhookSecret>();
    const second = (await call('POST', '/api/v1/webhooks/1/rotate-secret')).json<WebhookSecret>();
    const row = await stored(1);
    expect([row.secret, row.previous_secret]).toStrictEqual([second.secret, first.secret]);
    expect(JSON.stringify(row)).not.toContain(created.secret);
  });
});

describe('secrets', () => {
  it('never reach the logs, nor any answer but the creation and the rotation', async () => {
    await start();
    const created = await createWebhook(t);
    const rotated = (await call('POST', '/api/v1/webhooks/1/rotate-secret')).json<WebhookSecret>();
    const answers = [
      await call('GET', '/api/v1/webhooks'),
      await call('GET', '/api/v1/webhooks/1'),
      await call('PATCH', '/api/v1/webhooks/1', { description: 'x' }),
      await call('PATCH', '/api/v1/webhooks/1', { url: 'http://127.0.0.1/' }),
      await call('POST', '/api/v1/webhooks/1/ping'),
      await call('GET', '/api/v1/webhooks/1/deliveries'),
      await call('POST', '/api/v1/webhooks/1/deliveries/1/redeliver'),
      await call('GET', '/api/v1/openapi.json'),
    ];
    const logs = t.logs.text();
    for (const secret of [created.secret, rotated.secret]) {
      const key = secret.slice('whsec_'.length);
      expect(logs).not.toContain(key);
      for (const res of answers) {
        expect(res.body).not.toContain(key);
      }
    }
    // The log does say what happened, and who did it.
    const changes = t.logs
      .entries()
      .flatMap((entry) => (entry.webhookChange === undefined ? [] : [entry.webhookChange]));
    expect(changes).toStrictEqual([
      { id: 1, action: 'create', actor: 'bootstrap' },
      { id: 1, action: 'rotate-secret', actor: 'bootstrap' },
      { id: 1, action: 'update', actor: 'bootstrap' },
      { id: 1, action: 'ping', actor: 'bootstrap', delivery: 1 },
      { id: 1, action: 'redeliver', actor: 'bootstrap', delivery: 1 },
    ]);
  });
});
