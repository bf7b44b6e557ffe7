// Custom-field definitions over HTTP, and the values servers hold, on the database the suite runs on.
import type { Response as LightMyRequestResponse } from 'light-my-request';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeList } from '../../src/changes/changes.schemas.js';
import { insertDefinition } from '../../src/custom-fields/custom-fields.repository.js';
import {
  type CustomField,
  type CustomFieldChangeList,
  NO_SPEC,
} from '../../src/custom-fields/custom-fields.schemas.js';
import type { ErrorResponse } from '../../src/shared/schemas.js';
import type { Server } from '../../src/servers/servers.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-return -- vitest types an asymmetric matcher as any
const stringMatching = (pattern: RegExp): string => expect.stringMatching(pattern);

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  await t.app.close();
});

type Headers = Record<string, string>;
const call = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Headers = AS_BOOTSTRAP,
) => t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
const define = (body: object) => call('POST', '/api/v1/custom-fields', body);
const defined = async (body: object): Promise<CustomField> => {
  const res = await define(body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<CustomField>();
};
const patchServer = (id: number, body: object, headers?: Headers) =>
  call('PATCH', `/api/v1/servers/${id}`, body, headers);
const server = async (id: number) => (await call('GET', `/api/v1/servers/${id}`)).json<Server>();
const history = async (id: number) => (await call('GET', `/api/v1/servers/${id}/history`)).json<ChangeList>().changes;
const feed = async () => (await call('GET', '/api/v1/custom-fields/changes')).json<CustomFieldChangeList>().changes;
const error = (res: LightMyRequestResponse) => res.json<ErrorResponse>();

async function tokenOf(scope: 'read' | 'write'): Promise<Headers> {
  const res = await call('POST', '/api/v1/tokens', { name: `${scope}-bot`, scope });
  return { authorization: `Bearer ${res.json<{ secret: string }>().secret}` };
}

/** `n` more servers, web-<i>, with these custom values. */
async function addServers(n: number, custom: (i: number) => Record<string, unknown> = () => ({})) {
  const body = Array.from({ length: n }, (_, i) => ({
    hostname: `web-${i}`,
    ip: `192.0.2.${i + 10}`,
    custom_fields: custom(i),
  }));
  const res = await call('POST', '/api/v1/servers', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Server[]>();
}

describe('definitions', () => {
  it('are created by admins, read by any token, listed in the order they were made', async () => {
    const reader = await tokenOf('read');
    const writer = await tokenOf('write');
    expect((await call('POST', '/api/v1/custom-fields', { name: 'rack', type: 'string' }, writer)).statusCode).toBe(
      403,
    );

    const rack = await defined({ name: 'rack', type: 'string', description: 'Rack', pattern: '^R[0-9]+$' });
    expect(rack).toEqual({
      name: 'rack',
      type: 'string',
      description: 'Rack',
      required: false,
      default: null,
      choices: null,
      pattern: '^R[0-9]+$',
      max_length: null,
      minimum: null,
      maximum: null,
      created_at: stringMatching(/Z$/),
      updated_at: rack.created_at,
    });
    await defined({ name: 'a_unit', type: 'integer', minimum: 1, maximum: 48 });

    const list = await call('GET', '/api/v1/custom-fields', undefined, reader);
    expect(list.statusCode).toBe(200);
    expect(list.json<{ custom_fields: CustomField[] }>().custom_fields.map((f) => f.name)).toEqual(['rack', 'a_unit']);
    expect((await call('GET', '/api/v1/custom-fields/a_unit', undefined, reader)).json<CustomField>()).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 48,
    });
    expect((await call('PATCH', '/api/v1/custom-fields/rack', { description: null }, writer)).statusCode).toBe(403);
    expect((await call('DELETE', '/api/v1/custom-fields/rack', undefined, writer)).statusCode).toBe(403);
  });

  it('refuses definitions whose properties do not fit the type or each other, naming each', async () => {
    const cases: [object, string, RegExp][] = [
      [{ name: 'a', type: 'string', choices: ['x'] }, 'choices', /^is for enums only/],
      [{ name: 'a', type: 'enum' }, 'choices', /^is required for an enum/],
      [{ name: 'a', type: 'integer', pattern: 'x' }, 'pattern', /^is for strings only/],
      [{ name: 'a', type: 'string', maximum: 3 }, 'maximum', /^is for integers and numbers only/],
      [{ name: 'a', type: 'string', pattern: '(a)\\1' }, 'pattern', /RE2 syntax/],
      [{ name: 'a', type: 'integer', minimum: 1.5 }, 'minimum', /^must be an integer/],
      [{ name: 'a', type: 'number', minimum: 5, maximum: 4 }, 'maximum', /^must be at least the minimum, 5/],
      [{ name: 'a', type: 'integer', maximum: 4, default: 5 }, 'default', /^must be an integer of at most 4 \(got 5\)/],
      [{ name: 'a', type: 'enum', choices: ['x', 'x'] }, 'choices', /repeat/],
      [{ name: 'a', type: 'enum', choices: ['(none)'] }, 'choices[0]', /^must be 1 to 64 printable/],
      [{ name: 'Rack', type: 'string' }, 'name', /^must be 1 to 63 lowercase/],
      [{ name: 'changes', type: 'string' }, 'name', /^is reserved/],
      [{ name: 'constructor', type: 'string' }, 'name', /^is reserved/],
      [{ name: 'a', type: 'string', pattern: `^${'(?:a?){999}'.repeat(2)}$` }, 'pattern', /^is too complex/],
      [{ name: 'a', type: 'text' }, 'type', /^must be one of string, integer/],
    ];
    for (const [body, field, message] of cases) {
      const res = await define(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(error(res).details, JSON.stringify(body)).toContainEqual({ field, message: stringMatching(message) });
    }
    expect((await call('GET', '/api/v1/custom-fields')).json<{ custom_fields: unknown[] }>().custom_fields).toEqual([]);
  });

  it('refuse a pattern too long or too complex to compile quickly, with the reason; take long real ones', async () => {
    // Nested counted repetitions: RE2 would write out 35,984 instructions before counting them.
    const nested = '(?:(?:a{1,10}){1,10}){1,10}'.repeat(18);
    const complex = await define({ name: 'a', type: 'string', pattern: nested });
    expect(complex.statusCode).toBe(400);
    expect(error(complex).details).toEqual([
      {
        field: 'pattern',
        message:
          'is too complex to match quickly: its counted repetitions expand to about 35982 instructions, at most ' +
          '1000; use fewer or smaller counted repetitions ({n})',
      },
    ]);
    const long = await define({ name: 'a', type: 'string', pattern: 'a'.repeat(513) });
    expect(long.statusCode).toBe(400);
    expect(error(long).details).toEqual([{ field: 'pattern', message: stringMatching(/512/) }]);
    // A changed pattern is held to the same bounds.
    await defined({ name: 'rack', type: 'string', pattern: '^R[0-9]{2}$' });
    const patched = await call('PATCH', '/api/v1/custom-fields/rack', { pattern: nested });
    expect(patched.statusCode).toBe(400);
    expect(error(patched).details).toEqual([{ field: 'pattern', message: stringMatching(/^is too complex/) }]);

    // A pattern stored before these bounds (RE2 counts 701 instructions; the estimate, more) stays,
    // and the definition's other properties still change.
    const older = '^(?:abcdef|abcdeg|abcdeh){1,100}$';
    expect((await define({ name: 'older', type: 'string', pattern: older })).statusCode).toBe(400);
    await insertDefinition(t.db, {
      name: 'older',
      type: 'string',
      spec: { ...NO_SPEC, pattern: older },
      at: '2026-01-01T00:00:00.000Z',
    });
    const described = await call('PATCH', '/api/v1/custom-fields/older', { description: 'Lot code' });
    expect(described.statusCode, described.body).toBe(200);
    expect(described.json<CustomField>()).toMatchObject({ pattern: older, description: 'Lot code' });
    const repatterned = await call('PATCH', '/api/v1/custom-fields/older', { pattern: `${older}|^x$` });
    expect(repatterned.statusCode).toBe(400);

    // An IPv6 address in full (360 characters, 569 instructions) and a host name.
    const hex = '[0-9a-f]{1,4}';
    const ipv6 =
      `^(?:(?:${hex}:){7}${hex}|(?:${hex}:){1,7}:|(?:${hex}:){1,6}:${hex}|(?:${hex}:){1,5}(?::${hex}){1,2}|` +
      `(?:${hex}:){1,4}(?::${hex}){1,3}|(?:${hex}:){1,3}(?::${hex}){1,4}|(?:${hex}:){1,2}(?::${hex}){1,5}|` +
      `${hex}:(?::${hex}){1,6}|:(?:(?::${hex}){1,7}|:))$`;
    const hostname = '^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$';
    expect(ipv6.length).toBeGreaterThan(300);
    await defined({ name: 'bmc_ip', type: 'string', pattern: ipv6 });
    await defined({ name: 'alias', type: 'string', pattern: hostname });
    const ok = await patchServer(1, { custom_fields: { bmc_ip: '2001:db8::1', alias: 'www.example.com' } });
    expect(ok.statusCode, ok.body).toBe(200);
    const bad = await patchServer(1, { custom_fields: { bmc_ip: '2001:db8::1::2', alias: '-www' } });
    expect(bad.statusCode).toBe(400);
    expect(error(bad).details?.map((detail) => detail.field)).toEqual(['custom_fields.alias', 'custom_fields.bmc_ip']);
  });

  it('are unique by name, at most 64, and never change name or type', async () => {
    await defined({ name: 'rack', type: 'string' });
    const again = await define({ name: 'rack', type: 'integer' });
    expect(again.statusCode).toBe(409);
    expect(error(again).code).toBe('CUSTOM_FIELD_CONFLICT');

    const renamed = await call('PATCH', '/api/v1/custom-fields/rack', { name: 'shelf', type: 'integer' });
    expect(renamed.statusCode).toBe(400);
    expect(error(renamed).details).toEqual([
      { field: 'name', message: 'cannot change: delete the field and define it again' },
      { field: 'type', message: 'cannot change: delete the field and define it again' },
    ]);

    for (let i = 1; i < 64; i += 1) {
      await defined({ name: `f${i}`, type: 'boolean' });
    }
    const tooMany = await define({ name: 'one_more', type: 'boolean' });
    expect(tooMany.statusCode).toBe(409);
    expect(error(tooMany).code).toBe('CUSTOM_FIELD_LIMIT');
  }, 60_000);

  it('answer 404 with the name for a field that does not exist', async () => {
    for (const [method, payload] of [['GET'], ['PATCH', {}], ['DELETE']] as const) {
      const res = await call(method, '/api/v1/custom-fields/nope', payload);
      expect(res.statusCode).toBe(404);
      expect(error(res)).toMatchObject({
        code: 'CUSTOM_FIELD_NOT_FOUND',
        details: [{ field: 'name', message: 'no custom field is named "nope"' }],
      });
    }
  });

  it('a required field without a default cannot be added while servers exist: 409 saying how many', async () => {
    const res = await define({ name: 'owner', type: 'string', required: true });
    expect(res.statusCode).toBe(409);
    expect(error(res)).toMatchObject({
      code: 'CUSTOM_FIELD_VALUES_CONFLICT',
      details: [{ field: 'required', message: stringMatching(/^2 servers would have no value/) }],
    });
    expect((await call('GET', '/api/v1/custom-fields/owner')).statusCode).toBe(404);
    expect(await feed()).toEqual([]);
  });

  it('a required field with a default gives it to every server, and their history says so', async () => {
    const before = (await call('GET', '/api/v1/servers/1')).headers.etag;
    await defined({ name: 'owner', type: 'string', required: true, default: 'ops' });
    expect((await server(1)).custom_fields).toEqual({ owner: 'ops' });
    expect((await server(2)).custom_fields).toEqual({ owner: 'ops' });
    expect((await call('GET', '/api/v1/servers/1')).headers.etag).not.toBe(before);
    expect((await history(2)).at(-1)).toMatchObject({
      action: 'update',
      actor: 'bootstrap',
      changes: { 'custom_fields.owner': { from: null, to: 'ops' } },
    });
    // A new server without it gets it too; one cannot remove it.
    const [created] = await addServers(1);
    expect(created?.custom_fields).toEqual({ owner: 'ops' });
    const removed = await patchServer(1, { custom_fields: { owner: null } });
    expect(removed.statusCode).toBe(400);
    expect(error(removed).details).toEqual([
      { field: 'custom_fields.owner', message: stringMatching(/^is required: must be a string/) },
    ]);
  });

  it('a change that existing values would break is refused, naming the first 10 servers', async () => {
    await defined({ name: 'rack', type: 'string' });
    await addServers(12, (i) => ({ rack: i < 11 ? `rack-${i}` : 'R7' }));
    const res = await call('PATCH', '/api/v1/custom-fields/rack', { pattern: '^R[0-9]+$' });
    expect(res.statusCode).toBe(409);
    const body = error(res);
    expect(body.code).toBe('CUSTOM_FIELD_VALUES_CONFLICT');
    expect(body.details).toHaveLength(10);
    expect(body.details?.[0]).toEqual({
      field: 'custom_fields.rack',
      message: stringMatching(/^server 3 \(web-0\): must be a string .*\(got "rack-0"\)$/),
    });
    expect(body.truncated).toBe(1);
    expect((await call('GET', '/api/v1/custom-fields/rack')).json<CustomField>().pattern).toBeNull();

    // Once they are corrected, the change goes through.
    for (let id = 3; id <= 13; id += 1) {
      expect((await patchServer(id, { custom_fields: { rack: `R${id}` } })).statusCode).toBe(200);
    }
    const ok = await call('PATCH', '/api/v1/custom-fields/rack', { pattern: '^R[0-9]+$', description: 'Rack' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<CustomField>()).toMatchObject({ pattern: '^R[0-9]+$', description: 'Rack' });
  });

  it('narrowing bounds or choices checks values too; widening does not need to', async () => {
    await defined({ name: 'u', type: 'integer', minimum: 1, maximum: 48 });
    await defined({ name: 'tier', type: 'enum', choices: ['gold', 'silver'] });
    await patchServer(1, { custom_fields: { u: 40, tier: 'silver' } });
    expect((await call('PATCH', '/api/v1/custom-fields/u', { maximum: 39 })).statusCode).toBe(409);
    expect((await call('PATCH', '/api/v1/custom-fields/u', { maximum: 40 })).statusCode).toBe(200);
    expect((await call('PATCH', '/api/v1/custom-fields/tier', { choices: ['gold'] })).statusCode).toBe(409);
    expect(
      (await call('PATCH', '/api/v1/custom-fields/tier', { choices: ['gold', 'silver', 'bronze'] })).statusCode,
    ).toBe(200);
    expect((await call('PATCH', '/api/v1/custom-fields/tier', { choices: null })).statusCode).toBe(400);
  });

  it('making a field required needs a value on every server, or a default to give them', async () => {
    await defined({ name: 'team', type: 'string' });
    await patchServer(1, { custom_fields: { team: 'web' } });
    const refused = await call('PATCH', '/api/v1/custom-fields/team', { required: true });
    expect(refused.statusCode).toBe(409);
    expect(error(refused).details).toEqual([
      {
        field: 'custom_fields.team',
        message: 'server 2 (db-prod-01) has no value, and the field is required without a default',
      },
    ]);
    const ok = await call('PATCH', '/api/v1/custom-fields/team', { required: true, default: 'ops' });
    expect(ok.statusCode).toBe(200);
    expect((await server(1)).custom_fields).toEqual({ team: 'web' });
    expect((await server(2)).custom_fields).toEqual({ team: 'ops' });
  });

  it('deleting a field that servers hold values of is a 409 unless forced; forcing records it in their history', async () => {
    await defined({ name: 'rack', type: 'string' });
    await defined({ name: 'u', type: 'integer' });
    await patchServer(1, { custom_fields: { rack: 'R1', u: 3 } });
    const refused = await call('DELETE', '/api/v1/custom-fields/rack');
    expect(refused.statusCode).toBe(409);
    expect(error(refused)).toMatchObject({
      code: 'CUSTOM_FIELD_IN_USE',
      details: [{ field: 'force', message: stringMatching(/^1 servers hold a value of rack/) }],
    });

    expect((await call('DELETE', '/api/v1/custom-fields/rack?force=true')).statusCode).toBe(204);
    expect((await server(1)).custom_fields).toEqual({ u: 3 });
    expect((await history(1)).at(-1)).toMatchObject({
      actor: 'bootstrap',
      changes: { 'custom_fields.rack': { from: 'R1', to: null } },
    });
    expect((await call('GET', '/api/v1/custom-fields/rack')).statusCode).toBe(404);
    // The name is free again, and a field nobody holds a value of goes without force.
    await defined({ name: 'rack', type: 'integer' });
    expect((await call('DELETE', '/api/v1/custom-fields/rack')).statusCode).toBe(204);
  });

  it('are in a feed of their own: what changed, who, when', async () => {
    await defined({ name: 'tier', type: 'enum', choices: ['gold'] });
    await call('PATCH', '/api/v1/custom-fields/tier', { choices: ['gold', 'silver'], description: 'Support tier' });
    // A patch that changes nothing writes nothing.
    await call('PATCH', '/api/v1/custom-fields/tier', { description: 'Support tier' });
    await patchServer(1, { custom_fields: { tier: 'gold' } });
    await call('DELETE', '/api/v1/custom-fields/tier?force=true');
    const changes = await feed();
    expect(changes.map((c) => [c.seq, c.name, c.action, c.actor])).toEqual([
      [1, 'tier', 'create', 'bootstrap'],
      [2, 'tier', 'update', 'bootstrap'],
      [3, 'tier', 'delete', 'bootstrap'],
    ]);
    expect(changes[0]?.changes).toMatchObject({
      type: { from: null, to: 'enum' },
      choices: { from: null, to: ['gold'] },
      required: { from: null, to: false },
    });
    expect(changes[1]?.changes).toEqual({
      choices: { from: ['gold'], to: ['gold', 'silver'] },
      description: { from: null, to: 'Support tier' },
    });
    expect(changes[2]?.changes).toMatchObject({ type: { from: 'enum', to: null }, values_removed: { from: 1, to: 0 } });
    expect(
      (await call('GET', '/api/v1/custom-fields/changes?after=2')).json<CustomFieldChangeList>().changes,
    ).toHaveLength(1);
  });
});

describe('values on servers', () => {
  beforeEach(async () => {
    await defined({ name: 'rack', type: 'string', pattern: '^R[0-9]+$' });
    await defined({ name: 'u', type: 'integer', minimum: 1, maximum: 48 });
    await defined({ name: 'owner', type: 'string', default: 'ops' });
  });

  it('POST takes defaults, PUT replaces them all (defaults again), PATCH merges (null removes)', async () => {
    const created = await call('POST', '/api/v1/servers', {
      hostname: 'app-1',
      ip: '192.0.2.50',
      custom_fields: { u: 4, rack: 'R1' },
    });
    expect(created.statusCode).toBe(201);
    const { id, custom_fields: values } = created.json<Server>();
    expect(values).toEqual({ owner: 'ops', rack: 'R1', u: 4 });

    const patched = await patchServer(id, { custom_fields: { u: 5, rack: null } });
    expect(patched.json<Server>().custom_fields).toEqual({ owner: 'ops', u: 5 });
    expect((await history(id)).at(-1)?.changes).toEqual({
      'custom_fields.rack': { from: 'R1', to: null },
      'custom_fields.u': { from: 4, to: 5 },
    });

    const replaced = await call('PUT', `/api/v1/servers/${id}`, { hostname: 'app-1', ip: '192.0.2.50' });
    expect(replaced.json<Server>().custom_fields).toEqual({ owner: 'ops' });

    const cleared = await patchServer(id, { custom_fields: null });
    expect(cleared.json<Server>().custom_fields).toEqual({});
    // A patch of other fields leaves the values alone.
    await patchServer(id, { custom_fields: { rack: 'R9' } });
    expect((await patchServer(id, { notes: 'x' })).json<Server>().custom_fields).toEqual({ rack: 'R9' });
  });

  it('are part of the ETag: a change of a value changes it, an unchanged value does not', async () => {
    const first = (await patchServer(1, { custom_fields: { u: 2 } })).headers.etag;
    const same = (await patchServer(1, { custom_fields: { u: 2 } })).headers.etag;
    const next = (await patchServer(1, { custom_fields: { u: 3 } })).headers.etag;
    expect(same).toBe(first);
    expect(next).not.toBe(first);
    const stale = await patchServer(1, { custom_fields: { u: 4 } }, { ...AS_BOOTSTRAP, 'if-match': String(first) });
    expect(stale.statusCode).toBe(412);
  });

  it('a batch names the item and the field of each bad value, and creates nothing', async () => {
    const res = await call('POST', '/api/v1/servers', [
      { hostname: 'ok-1', ip: '192.0.2.60', custom_fields: { u: 1 } },
      { hostname: 'bad-1', ip: '192.0.2.61', custom_fields: { u: 0, rack: 'x', colour: 'red' } },
      // A mix of Cyrillic and Latin letters: refused by the labels' own rules, after the schema.
      { hostname: 'bad-2', ip: '192.0.2.62', environment: 'Рroduction', custom_fields: { u: '2' } },
    ]);
    expect(res.statusCode).toBe(400);
    expect(error(res).details).toEqual([
      { field: '[2].environment', message: stringMatching(/script/) },
      { field: '[1].custom_fields.u', message: 'must be an integer between 1 and 48 (got 0)' },
      { field: '[1].custom_fields.rack', message: stringMatching(/^must be a string .*\(got "x"\)$/) },
      { field: '[1].custom_fields.colour', message: stringMatching(/^is not a defined custom field/) },
      { field: '[2].custom_fields.u', message: 'must be an integer between 1 and 48 (got "2")' },
    ]);
    expect((await call('GET', '/api/v1/servers')).json<{ count: number }>().count).toBe(2);
  });

  it('PUT answers 404 and 412 before it checks the values against the definitions, as PATCH does', async () => {
    const body = { hostname: 'web-prod-01', ip: '10.0.0.1', custom_fields: { u: 49 } };
    const badValue = { field: 'custom_fields.u', message: 'must be an integer between 1 and 48 (got 49)' };
    const missing = await call('PUT', '/api/v1/servers/999', body);
    expect(missing.statusCode).toBe(404);
    expect(error(missing).code).toBe('SERVER_NOT_FOUND');
    expect((await patchServer(999, { custom_fields: { u: 49 } })).statusCode).toBe(404);

    const { etag } = (await call('GET', '/api/v1/servers/1')).headers;
    await patchServer(1, { notes: 'moved' });
    const stale = await call('PUT', '/api/v1/servers/1', body, { ...AS_BOOTSTRAP, 'if-match': String(etag) });
    expect(stale.statusCode).toBe(412);
    expect(error(stale).code).toBe('PRECONDITION_FAILED');
    const staleMissing = await call('PUT', '/api/v1/servers/999', body, { ...AS_BOOTSTRAP, 'if-match': String(etag) });
    expect(staleMissing.statusCode).toBe(412);

    const invalid = await call('PUT', '/api/v1/servers/1', body);
    expect(invalid.statusCode).toBe(400);
    expect(error(invalid)).toMatchObject({ code: 'VALIDATION_FAILED', details: [badValue] });
    // A bad fixed field is a 400 whatever the store holds, and names the values' problems with it.
    const both = await call('PUT', '/api/v1/servers/999', { ...body, status: 'up', environment: 'Рroduction' });
    expect(both.statusCode).toBe(400);
    expect(error(both).details).toEqual([{ field: 'environment', message: stringMatching(/script/) }, badValue]);
    expect(await server(1)).toMatchObject({ notes: 'moved', custom_fields: {} });
  });

  it('the body schema refuses what is not an object of scalar values', async () => {
    for (const custom of [[], 'R1', { rack: ['R1'] }, { rack: { a: 1 } }, { 'Bad-Name': 1 }]) {
      const res = await patchServer(1, { custom_fields: custom });
      expect(res.statusCode, JSON.stringify(custom)).toBe(400);
      expect(error(res).details?.[0]?.field, JSON.stringify(custom)).toMatch(/^custom_fields/);
    }
  });
});

describe('with reads behind a token', () => {
  it('the open OpenAPI document does not publish the definitions', async () => {
    const closed = await buildTestApp({ env: { INVENTORY_AUTH_READS: 'true' } });
    try {
      const created = await closed.app.inject({
        method: 'POST',
        url: '/api/v1/custom-fields',
        headers: AS_BOOTSTRAP,
        payload: { name: 'secret_project', type: 'enum', choices: ['orion'] },
      });
      expect(created.statusCode).toBe(201);
      expect((await closed.app.inject({ url: '/api/v1/custom-fields' })).statusCode).toBe(401);
      const document = await closed.app.inject({ url: '/api/v1/openapi.json' });
      expect(document.statusCode).toBe(200);
      expect(document.body).toContain('"custom_fields"');
      expect(document.body).not.toContain('secret_project');
      expect(document.body).not.toContain('orion');
    } finally {
      await closed.app.close();
    }
  });
});
