import { maxHeaderSize } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorRegistry } from '../src/errors.js';
import { BODY_LIMIT_BYTES } from '../src/plugins/protection.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from './helpers/build-test-app.js';

/** Codes whose wording is fixed by the API's contract, whatever it says. */
const CONTRACTUAL = new Set(['SERVER_NOT_FOUND']);

describe('the error registry', () => {
  it('gives every 4xx a message that names the fix after saying what is wrong', () => {
    const vague = Object.entries(errorRegistry)
      .filter(([code, { status }]) => status >= 400 && status < 500 && !CONTRACTUAL.has(code))
      .filter(([, { message }]) => !/^[^:]+: \S.{8,}$/u.test(message))
      .map(([code]) => code);
    expect(vague).toStrictEqual([]);
  });

  it('states the limits the server really applies', () => {
    expect(BODY_LIMIT_BYTES).toBe(1024 * 1024);
    expect(errorRegistry.PAYLOAD_TOO_LARGE.message).toContain('1 MiB');
    expect(maxHeaderSize).toBe(16 * 1024);
    expect(errorRegistry.HEADERS_TOO_LARGE.message).toContain('16 KiB');
  });
});

describe('errors whose message points at the details', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it.each([
    ['an empty body', ''],
    ['a truncated body', '{"hostname": "a"'],
    ['a body with a stray comma', '{"hostname": "a",}'],
  ])('INVALID_JSON for %s carries a detail that says where', async (_name, payload) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: { ...AS_BOOTSTRAP, 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ code: string; details?: { field: string; message: string }[] }>();
    expect(body.code).toBe('INVALID_JSON');
    expect(body.details?.length).toBeGreaterThan(0);
  });

  it('SERVER_CONFLICT names the field that is taken', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'web-prod-01', ip: '10.9.9.9' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'SERVER_CONFLICT', details: [{ field: 'hostname' }] });
  });
});
