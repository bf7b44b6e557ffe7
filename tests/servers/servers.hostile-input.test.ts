// Input that once reached a 500, was stored with loss, or was read as something else: forged
// cursors, control characters, ill-formed text and numbers in other notations. Runs on the database
// of the suite (SQLite, or PostgreSQL with TEST_DATABASE_URL); tests/servers/servers.sweep.test.ts
// checks that both answer every hostile value alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.app.close();
});

const JSON_HEADERS = { ...AS_BOOTSTRAP, 'content-type': 'application/json' };

async function serverCount(): Promise<number> {
  return (await t.app.inject({ method: 'GET', url: '/api/v1/servers' })).json<{ count: number }>().count;
}

describe('GET /api/v1/servers?cursor=', () => {
  const b64 = (value: string) => Buffer.from(value).toString('base64url');

  it('answers 400, never 500, for a cursor holding any JSON value', async () => {
    for (const json of ['null', '0', '1.5', '"text"', 'true', 'false', '[]', '[1]', '{}', '{"f":null}', '{"k":{}}']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers?cursor=${b64(json)}` });
      expect(res.statusCode, json).toBe(400);
      expect(res.json(), json).toStrictEqual({
        error: 'Request validation failed: fix the fields listed in details',
        code: 'VALIDATION_FAILED',
        details: [{ field: 'cursor', message: 'is not a cursor of this listing (same filters and sort)' }],
      });
    }
  });

  it('answers 400 for a cursor of the right listing whose values are forged', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/api/v1/servers?sort=hostname&limit=1' });
    const next = page.json<{ next: string }>().next;
    const { f } = JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) as { f: string };
    // The real cursor works; the same listing with a NUL (which PostgreSQL's text refuses), a control
    // character, a lone surrogate, a number or an object as the host name does not.
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/servers?sort=hostname&limit=1&cursor=${next}` })).statusCode,
    ).toBe(200);
    for (const hostname of ['a\u0000', '\u0007', '\ud800', 5, { b: '00' }, null, 'x'.repeat(300)]) {
      const cursor = b64(JSON.stringify({ f, k: [hostname, 1] }));
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers?sort=hostname&limit=1&cursor=${cursor}` });
      expect(res.statusCode, JSON.stringify(hostname)).toBe(400);
      expect(res.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
    }
  });
});

describe("integers past the columns' range", () => {
  it('answers 400 for a cursor whose id is outside the id column, on both databases', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/api/v1/servers?limit=1' });
    const next = page.json<{ next: string }>().next;
    const { f } = JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) as { f: string };
    for (const id of [3_000_000_000, 2_147_483_648, -1, 1.5, Number.MAX_SAFE_INTEGER]) {
      const cursor = Buffer.from(JSON.stringify({ f, k: [id] })).toString('base64url');
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers?limit=1&cursor=${cursor}` });
      expect(res.statusCode, String(id)).toBe(400);
    }
  });

  it('answers 400 for a change feed position past the seq column', async () => {
    for (const after of ['2147483648', '9007199254740993']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/changes?after=${after}` });
      expect(res.statusCode, after).toBe(400);
      expect(res.json<{ details: { field: string }[] }>().details[0]?.field).toBe('after');
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/changes?after=2147483647' })).statusCode).toBe(200);
  });
});

describe('a deeply nested body', () => {
  it('answers 400, never 500, however deep the nesting under an unknown field', async () => {
    for (const depth of [100, 5000, 50_000]) {
      const payload = `{"hostname":"deep","ip":"10.9.9.9","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/servers', headers: JSON_HEADERS, payload });
      expect(res.statusCode, String(depth)).toBe(400);
      const { details } = res.json<{ details: { field: string; message: string }[] }>();
      expect(details.map((d) => d.field)).toStrictEqual(['x']);
      expect(details[0]?.message).toMatch(/^is not a known field; known fields are hostname, ip, /);
    }
  });
});

describe('control characters in notes', () => {
  const NOT_ALLOWED = ['\u0000', 'a\u0000b', '\u0001', 'bell\u0007', '\u001b[31mred', '\u007f', '\u0085', '\u009b'];

  it('refuses NUL and other control characters on POST, bulk POST, PUT and PATCH, and writes nothing', async () => {
    const before = await serverCount();
    for (const notes of NOT_ALLOWED) {
      const writes = [
        { method: 'POST' as const, url: '/api/v1/servers', payload: { hostname: 'nul-1', ip: '10.9.0.1', notes } },
        {
          method: 'POST' as const,
          url: '/api/v1/servers',
          payload: [
            { hostname: 'nul-2', ip: '10.9.0.2' },
            { hostname: 'nul-3', ip: '10.9.0.3', notes },
          ],
        },
        {
          method: 'PUT' as const,
          url: '/api/v1/servers/1',
          payload: { hostname: 'web-prod-01', ip: '10.0.0.1', notes },
        },
        { method: 'PATCH' as const, url: '/api/v1/servers/1', payload: { notes } },
      ];
      for (const { method, url, payload } of writes) {
        const res = await t.app.inject({ method, url, headers: JSON_HEADERS, payload: JSON.stringify(payload) });
        expect(res.statusCode, `${method} ${JSON.stringify(notes)}`).toBe(400);
        const { details } = res.json<{ details: { field: string; message: string }[] }>();
        expect(details).toStrictEqual([
          {
            field: Array.isArray(payload) ? '[1].notes' : 'notes',
            message: 'must be at most 4096 characters, with no control character but tab and line breaks, or null',
          },
        ]);
      }
    }
    expect(await serverCount()).toBe(before);
    const one = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' });
    expect(one.json<{ notes: string | null }>().notes).toBeNull();
  });

  it('keeps tab and line breaks, and other Unicode, as written', async () => {
    const notes = 'rack 4\tslot 2\r\nline two\nU+2028:\u2028 é 東京 🙂';
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/2',
      headers: JSON_HEADERS,
      payload: JSON.stringify({ notes }),
    });
    expect(res.statusCode).toBe(200);
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/servers/2' });
    expect(read.json<{ notes: string }>().notes).toBe(notes);
  });
});

describe('ill-formed text in a body', () => {
  it('answers 400 INVALID_ENCODING for bytes that are not UTF-8, and writes nothing', async () => {
    const before = await serverCount();
    for (const bytes of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe9]]) {
      const payload = Buffer.concat([
        Buffer.from('{"hostname":"enc-1","ip":"10.9.1.1","notes":"'),
        Buffer.from(bytes),
        Buffer.from('"}'),
      ]);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/servers', headers: JSON_HEADERS, payload });
      expect(res.statusCode, JSON.stringify(bytes)).toBe(400);
      expect(res.json()).toStrictEqual({
        error: 'Request body is not valid UTF-8: send the body encoded in UTF-8',
        code: 'INVALID_ENCODING',
      });
    }
    expect(await serverCount()).toBe(before);
  });

  it('answers 400 for an unpaired surrogate, naming the field, in values and in keys', async () => {
    for (const [payload, field] of [
      ['{"hostname":"sur-1","ip":"10.9.1.2","notes":"a\\ud800b"}', 'notes'],
      ['[{"hostname":"sur-2","ip":"10.9.1.3"},{"hostname":"sur-3","ip":"10.9.1.4","notes":"\\udfff"}]', '[1].notes'],
      ['{"hostname":"sur-4","ip":"10.9.1.5","environment":"\\ud83d"}', 'environment'],
      ['{"hostname":"sur-5","ip":"10.9.1.6","x\\ud800":1}', 'x\ufffd'],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/servers', headers: JSON_HEADERS, payload });
      expect(res.statusCode, payload).toBe(400);
      expect(res.json<{ details: unknown }>().details).toStrictEqual([
        { field, message: 'must be well-formed Unicode (holds an unpaired surrogate)' },
      ]);
    }
  });

  it('keeps a surrogate pair (an emoji) written as escapes', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/2',
      headers: JSON_HEADERS,
      payload: '{"notes":"\\ud83d\\ude42"}',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ notes: string }>().notes).toBe('🙂');
  });

  it('answers 415 for a body declared in another charset, and takes utf-8 in any spelling', async () => {
    for (const contentType of [
      'application/json; charset=iso-8859-1',
      'application/json; charset="latin1"',
      'application/json;charset=utf-16',
    ]) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/servers/2',
        headers: { ...AS_BOOTSTRAP, 'content-type': contentType },
        payload: '{"notes":"x"}',
      });
      expect(res.statusCode, contentType).toBe(415);
      expect(res.json<{ code: string; details: { field: string }[] }>()).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        details: [{ field: 'content-type' }],
      });
    }
    for (const contentType of ['application/json; charset=utf-8', 'application/json; charset="UTF-8"']) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/servers/2',
        headers: { ...AS_BOOTSTRAP, 'content-type': contentType },
        payload: '{"notes":"é"}',
      });
      expect(res.statusCode, contentType).toBe(200);
      expect(res.json<{ notes: string }>().notes).toBe('é');
    }
  });
});

describe('percent-encoding in the query string', () => {
  it('answers its 400 after the request id, protections and authentication have run', async () => {
    const anonymous = await t.app.inject({ method: 'POST', url: '/api/v1/servers?q=%FF', payload: {} });
    expect(anonymous.statusCode).toBe(401);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?q=%FF' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-request-id']).toBeTypeOf('string');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
    );
  });

  it('answers 400 for an escape that is malformed or not UTF-8, naming the parameter', async () => {
    for (const [query, field] of [
      ['q=%FF', 'q'],
      ['q=a%C3%28', 'q'],
      ['environment=%ED%A0%80', 'environment'],
      ['limit=10&q=%', 'q'],
      ['%FF=1', 'querystring'],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toStrictEqual({
        error: 'Request validation failed: fix the fields listed in details',
        code: 'VALIDATION_FAILED',
        details: [{ field, message: 'must be percent-encoded UTF-8 (holds a malformed escape such as %FF)' }],
      });
    }
  });

  it('decodes well-formed escapes, + as a space included', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?q=web%2Dprod&environment=production+eu' });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ count: number }>().count).toBe(0);
    const found = await t.app.inject({ method: 'GET', url: '/api/v1/servers?q=web%2Dprod' });
    expect(found.json<{ count: number }>().count).toBe(1);
  });
});

describe('integers in the query string', () => {
  const NOT_DECIMAL = ['0x10', '1e2', '%205', '5%20', '+5', '05', '1.0', '0b1', 'Infinity'];

  it('refuses every notation but plain decimal, on every route that takes an integer', async () => {
    for (const route of [
      '/api/v1/servers?limit=',
      '/api/v1/servers?offset=',
      '/api/v1/changes?after=',
      '/api/v1/changes?limit=',
      '/api/v1/integrations/prometheus?port=',
    ]) {
      for (const value of NOT_DECIMAL) {
        const res = await t.app.inject({ method: 'GET', url: `${route}${value}` });
        expect(res.statusCode, `${route}${value}`).toBe(400);
        const [detail] = res.json<{ details: { field: string; message: string }[] }>().details;
        expect(detail?.message, `${route}${value}`).toMatch(/^must be a decimal integer such as 10 \(got ".*"\)$/);
      }
    }
  });

  it('still takes plain decimal integers', async () => {
    for (const url of [
      '/api/v1/servers?limit=1&offset=0',
      '/api/v1/changes?after=0&limit=10',
      '/api/v1/integrations/prometheus?port=9100',
    ]) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });
});

describe('POST /api/v1/servers with 1000 servers', () => {
  it('lets the event loop turn between its statements, so that other requests are served meanwhile', async () => {
    const servers = Array.from({ length: 1000 }, (_, i) => ({
      hostname: `turn-${i}`,
      ip: `10.200.${i >> 8}.${i & 255}`,
      notes: 'n'.repeat(200),
      tags: Array.from({ length: 32 }, (_, j) => `t${j}`),
    }));
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 0);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: JSON_HEADERS,
      payload: JSON.stringify(servers),
    });
    clearInterval(ticker);
    expect(res.statusCode).toBe(201);
    // 10 inserts of servers, 32 of tags and 5 of changes: a turn after each but the last of each.
    expect(turns).toBeGreaterThanOrEqual(40);
  });
});

describe('If-Match and If-None-Match', () => {
  it('answers 400 INVALID_PRECONDITION for a value that is not * or quoted entity tags, and writes nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).headers.etag;
    for (const [header, value] of [
      ['if-match', '1-1'],
      ['if-match', '"1-1", 2-1'],
      ['if-match', 'W/1-1'],
      ['if-match', ','],
      ['if-none-match', 'abc'],
    ] as const) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/servers/1',
        headers: { ...JSON_HEADERS, [header]: value },
        payload: '{"notes":"x"}',
      });
      expect(res.statusCode, `${header}: ${value}`).toBe(400);
      expect(res.json(), `${header}: ${value}`).toStrictEqual({
        error: 'Malformed If-Match or If-None-Match: send * or the ETag exactly as it was given, quotes included',
        code: 'INVALID_PRECONDITION',
        details: [{ field: header, message: 'must be * or entity tags in double quotes, such as "3-2"' }],
      });
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).headers.etag).toBe(before);
  });

  it('still takes *, a quoted tag, a weak tag and a list, with 412 for a tag that does not match', async () => {
    const etag = String((await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).headers.etag);
    const read = (value: string) =>
      t.app.inject({ method: 'GET', url: '/api/v1/servers/1', headers: { 'if-none-match': value } });
    expect((await read(etag)).statusCode).toBe(304);
    expect((await read(`W/${etag}, "other"`)).statusCode).toBe(304);
    expect((await read('*')).statusCode).toBe(304);
    const stale = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/1',
      headers: { ...JSON_HEADERS, 'if-match': '"1-999"' },
      payload: '{"notes":"x"}',
    });
    expect(stale.statusCode).toBe(412);
  });
});
