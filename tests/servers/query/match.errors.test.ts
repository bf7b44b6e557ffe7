import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDefinitions } from '../../../src/custom-fields/custom-fields.repository.js';
import type { Definition } from '../../../src/custom-fields/custom-fields.values.js';
import { type AppError, MAX_DETAILS } from '../../../src/errors.js';
import { SQLITE_LOWER } from '../../../src/servers/query/lower-case.js';
import { type FilterCheck, checkServerFilter, compileServerFilter, matches } from '../../../src/servers/query/match.js';
import type { Server } from '../../../src/servers/servers.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../../helpers/build-test-app.js';
import { VARIED_FIELDS } from '../../helpers/varied-inventory.js';
import { defineFields } from '../../helpers/custom-fields.js';

// A filter that is not one: the details the list gives for the same query string, and those of what
// the list takes but a filter does not (sort, paging, format).

let t: TestApp;
let definitions: Definition[];

beforeAll(async () => {
  t = await buildTestApp({ seed: false });
  await defineFields(t.app, VARIED_FIELDS);
  definitions = await listDefinitions(t.db);
});
afterAll(async () => {
  await t.app.close();
});

const options = { lower: SQLITE_LOWER };

function refused(check: FilterCheck): { details: { field: string; message: string }[]; truncated: number } {
  if (check.ok) {
    throw new Error('the filter was accepted');
  }
  return { details: check.details, truncated: check.truncated };
}

async function listAnswer(query: string) {
  const res = await t.app.inject({ url: `/api/v1/servers?${query}`, headers: AS_BOOTSTRAP });
  return {
    status: res.statusCode,
    body: res.json<{ code?: string; details?: { field: string; message: string }[]; truncated?: number }>(),
  };
}

const many = Array.from({ length: 150 }, (_, i) => `x${i}`).join(',');

/** Bad values of filters, one or several at once, with the list's own details. */
const BAD_VALUES = [
  'status=bogus',
  'status=up,',
  'status=up,,down',
  'environment=',
  `environment=${'x'.repeat(65)}`,
  'role=-lead',
  'hostname=-web',
  'ip=1.2.3.256',
  'ip=010.0.0.1',
  'ip=fe80::1%25eth0',
  'tag=UPPER',
  'managed_by=Bad!',
  'cidr=10.0.0.0/33',
  'cidr=10.0.0.0',
  'cidr=::/129',
  'q=',
  'q=%07',
  'q=a&q=b',
  `q=${'x'.repeat(257)}`,
  'updated_since=yesterday',
  'updated_since=2026-01-01T00:00:60Z',
  'last_seen_before=2026-13-01T00:00:00Z',
  'last_seen_after=2026-01-01',
  'last_seen_after=a&last_seen_after=b',
  `status=${'x'.repeat(1025)}`,
  Array.from({ length: 101 }, () => 'tag=pci').join('&'),
  'cf_nope=1',
  'cf_nope__gte=1',
  'cf_u=abc',
  'cf_u=1.5',
  'cf_u=',
  'cf_u=1,,2',
  'cf_u__gte=x',
  'cf_u__gte=1&cf_u__gte=2',
  'cf_u__empty=maybe',
  'cf_rack__gte=a',
  'cf_pci__lte=true',
  'cf_pci=yes',
  'cf_tier=platinum',
  'cf_born=2025-02-30',
  'cf_seen=2026-01-01',
  'cf_seen__gte=2026-01-01T00:00:00',
  'cf_docs=%01',
  'cf_load=0x10',
  `status=bogus&ip=nope&cf_u=abc&q=${'y'.repeat(10)}&cidr=1.2.3.4/99`,
  `status=${many}`,
  'q=%FF',
  'status=up&q=%E0%A4%A',
  '%FF=1',
];

describe('checkServerFilter refusals', () => {
  it.each(BAD_VALUES)('gives the details the list gives: %s', async (query) => {
    const list = await listAnswer(query);
    expect(list.status, JSON.stringify(list.body)).toBe(400);
    const { details, truncated } = refused(checkServerFilter(query, definitions, options));
    expect(details).toEqual(list.body.details);
    expect(truncated).toBe(list.body.truncated ?? 0);
  });

  it('lists at most MAX_DETAILS details and counts the others', () => {
    const { details, truncated } = refused(checkServerFilter(`status=${many}`, definitions, options));
    expect(details).toHaveLength(MAX_DETAILS);
    expect(truncated).toBe(150 - MAX_DETAILS);
  });

  it.each(['bogus=1', 'Status=up', 'fields=id', 'cf_Bad=1', 'cf_=1'])(
    'refuses an unknown parameter, named as the list names it, with the parameters a filter takes: %s',
    async (query) => {
      const list = await listAnswer(query);
      expect(list.status).toBe(400);
      const { details } = refused(checkServerFilter(query, definitions, options));
      expect(details.map((d) => d.field)).toEqual(list.body.details?.map((d) => d.field));
      for (const { message } of details) {
        expect(message).toMatch(
          /^is not a known query parameter; a filter takes status, environment, .* and cf_<name>/,
        );
        expect(message).not.toMatch(/\bsort\b|\blimit\b/);
      }
    },
  );

  it.each(['sort=id', 'sort=-ip', 'limit=5', 'offset=1', 'cursor=abc', 'format=csv'])(
    'refuses a parameter of the list that is not a filter, naming it: %s',
    (query) => {
      const { details } = refused(checkServerFilter(`${query}&status=up`, definitions, options));
      expect(details).toEqual([
        {
          field: query.split('=')[0],
          message: 'is not a filter: a filter selects servers, and takes no sort, paging or format',
        },
      ]);
    },
  );

  it('names every refused parameter at once: not filters, unknown ones and bad values the schema sees', () => {
    const { details } = refused(checkServerFilter('sort=id&bogus=1&q=&limit=2&status=up', definitions, options));
    expect(details.map((d) => d.field)).toEqual(['sort', 'bogus', 'limit', 'q']);
  });

  it('puts the prefix before every field', () => {
    const { details } = refused(
      checkServerFilter('status=nope&sort=id', definitions, { ...options, prefix: 'filter.' }),
    );
    expect(details.map((d) => d.field)).toEqual(['filter.sort']);
    expect(refused(checkServerFilter('status=nope', definitions, { ...options, prefix: 'filter.' })).details).toEqual([
      { field: 'filter.status', message: 'must be one of up, down, maintenance, decommissioned (got "nope")' },
    ]);
  });

  it('refuses a custom field that the definitions given do not define, whatever the database holds', () => {
    expect(refused(checkServerFilter('cf_u=1', [], options)).details).toEqual([
      { field: 'cf_u', message: 'is not a defined custom field: GET /api/v1/custom-fields lists them' },
    ]);
  });
});

describe('compileServerFilter', () => {
  it('throws VALIDATION_FAILED (400) with the details', () => {
    let thrown: unknown;
    try {
      compileServerFilter('status=nope&limit=3', definitions, options);
    } catch (error) {
      thrown = error;
    }
    const error = thrown as AppError;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.statusCode).toBe(400);
    expect(error.details?.map((d) => d.field)).toEqual(['limit']);
  });

  it('takes the filter with or without its leading ?, and an empty one selects every server', () => {
    const server: Server = {
      id: 1,
      hostname: 'web-1',
      ip: '10.0.0.1',
      status: 'up',
      environment: null,
      role: null,
      location: null,
      os: null,
      tags: [],
      notes: null,
      managed_by: null,
      custom_fields: { u: 3 },
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    };
    expect(compileServerFilter('?status=up', definitions, options).filters).toEqual({ status: ['up'] });
    expect(matches(compileServerFilter('?status=down', definitions, options), server)).toBe(false);
    expect(matches(compileServerFilter('', definitions, options), server)).toBe(true);
    expect(matches(compileServerFilter('?', definitions, options), server)).toBe(true);
  });

  it('says whether a filter reads the observation, and which custom fields it names', () => {
    const seen = compileServerFilter(
      'last_seen_before=2026-01-01T00:00:00Z&cf_u=1&cf_rack__empty=true',
      definitions,
      options,
    );
    expect(seen.observes).toBe(true);
    expect(seen.customFields).toEqual(['rack', 'u']);
    const plain = compileServerFilter('status=up', definitions, options);
    expect(plain.observes).toBe(false);
    expect(plain.customFields).toEqual([]);
  });
});
