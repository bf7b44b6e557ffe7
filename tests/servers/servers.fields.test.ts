// A server's fields are declared once (src/servers/server-fields.ts); these hold what is derived from
// the declaration, and what is written by hand beside it (the migrations, the row mapper), to it.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_FILTERS, SORT_FIELDS } from '../../src/servers/query/params.js';
import {
  DECLARED,
  FIELD_NAMES,
  VERSIONED_FIELDS,
  WRITABLE_FIELDS,
  defaultValues,
  fieldsWith,
} from '../../src/servers/server-fields.js';
import { CSV_COLUMNS } from '../../src/servers/servers.export.js';
import { toListedServer, toServer } from '../../src/servers/servers.mapper.js';
import { findServerById } from '../../src/servers/servers.repository.js';
import { ListedServer, Server, ServerInput, ServerPatch } from '../../src/servers/servers.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect } from '../helpers/database.js';

/** The columns the store keeps for itself, beside the fields' own. */
const STORE_COLUMNS = ['version', 'ip_key'];

interface Column {
  /** As the migrations declare it: `varchar(64)`, `text`, `integer` ... */
  type: string;
  nullable: boolean;
}

interface ObjectSchema {
  properties: Record<string, { type?: unknown; not?: unknown }>;
  required?: string[];
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: false });
});
afterAll(async () => {
  await t.app.close();
});

/** The servers table's columns as the migrated database of the run describes them. */
async function serverColumns(): Promise<Map<string, Column>> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{
      name: string;
      type: string;
      notnull: number;
      pk: number;
    }>`pragma table_info(servers)`.execute(t.db);
    // SQLite never lets the integer primary key be null, whatever `notnull` says.
    return new Map(rows.map((r) => [r.name, { type: r.type.toLowerCase(), nullable: r.notnull === 0 && r.pk === 0 }]));
  }
  const { rows } = await sql<{
    column_name: string;
    data_type: string;
    character_maximum_length: number | null;
    is_nullable: string;
  }>`select column_name, data_type, character_maximum_length, is_nullable from information_schema.columns
     where table_schema = current_schema() and table_name = 'servers'`.execute(t.db);
  return new Map(
    rows.map((r) => [
      r.column_name,
      {
        type: r.data_type === 'character varying' ? `varchar(${r.character_maximum_length})` : r.data_type,
        nullable: r.is_nullable === 'YES',
      },
    ]),
  );
}

describe('the declaration of a server’s fields', () => {
  it(`has a column of the declared type and nullability for every field in the migrated database (${dialect})`, async () => {
    const columns = await serverColumns();
    for (const name of FIELD_NAMES) {
      const { column, nullable } = DECLARED[name];
      const type = (dialect === 'postgres' ? column.postgresType : undefined) ?? column.type;
      expect([name, columns.get(name)]).toStrictEqual([name, { type, nullable: nullable === true }]);
    }
  });

  it('leaves no column of the servers table undeclared but the store’s own', async () => {
    const columns = [...(await serverColumns()).keys()].sort();
    expect(columns).toStrictEqual([...FIELD_NAMES, ...STORE_COLUMNS].sort());
  });

  it('gives ListedServer a property for every field and Server one for every field but the observations, in order, null allowed where declared', () => {
    expect(VERSIONED_FIELDS).toStrictEqual(FIELD_NAMES.filter((name) => DECLARED[name].observed !== true));
    expect(VERSIONED_FIELDS.length).toBeLessThan(FIELD_NAMES.length);
    for (const [schema, names] of [
      [Server, VERSIONED_FIELDS],
      [ListedServer, FIELD_NAMES],
    ] as const) {
      const { properties } = schema as unknown as ObjectSchema;
      expect(Object.keys(properties)).toStrictEqual(names);
      for (const name of names) {
        const types = [properties[name]?.type].flat();
        expect([name, types.includes('null')]).toStrictEqual([name, DECLARED[name].nullable === true]);
      }
    }
  });

  it('keeps observations out of what a write sets and what its history records', () => {
    for (const name of FIELD_NAMES.filter((field) => DECLARED[field].observed === true)) {
      expect([name, DECLARED[name].write]).toStrictEqual([name, undefined]);
    }
  });

  it('gives ServerInput and ServerPatch the writable fields, then the read-only ones refused', () => {
    const readOnly = FIELD_NAMES.filter((name) => DECLARED[name].write === undefined);
    expect(WRITABLE_FIELDS).toStrictEqual(FIELD_NAMES.filter((name) => !readOnly.includes(name)));
    const input = ServerInput as unknown as ObjectSchema;
    const patch = ServerPatch as unknown as ObjectSchema;
    for (const body of [input, patch]) {
      expect(Object.keys(body.properties)).toStrictEqual([...WRITABLE_FIELDS, ...readOnly]);
      for (const name of readOnly) {
        expect(body.properties[name]?.not).toStrictEqual({});
      }
    }
    expect(input.required).toStrictEqual(fieldsWith('required'));
    expect(patch.required ?? []).toStrictEqual([]);
    // A PATCH's null clears a nullable field, and resets one declared so (tags) to its default.
    const patchNull = WRITABLE_FIELDS.filter((name) => [patch.properties[name]?.type].flat().includes('null'));
    expect(patchNull).toStrictEqual(
      WRITABLE_FIELDS.filter((name) => DECLARED[name].nullable === true || DECLARED[name].nullResetsInPatch === true),
    );
  });

  it('gives a new server the declared default of every field its client leaves out', async () => {
    const optional = WRITABLE_FIELDS.filter((name) => DECLARED[name].required !== true);
    expect(optional.filter((name) => !('default' in DECLARED[name]))).toStrictEqual([]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'defaults-1', ip: '10.1.0.1' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<Record<string, unknown>>();
    expect(Object.fromEntries(optional.map((name) => [name, created[name]]))).toStrictEqual(defaultValues());
  });

  it('maps every declared field of a stored row, JSON columns parsed', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'mapped-1', ip: '10.1.0.2', tags: ['a', 'b'], environment: 'production' },
    });
    const { id } = res.json<{ id: number }>();
    const row = await findServerById(t.db, id);
    if (row === undefined) {
      throw new Error('the created server is not stored');
    }
    expect(Object.keys(toServer(row))).toStrictEqual(VERSIONED_FIELDS);
    const server = toListedServer(row) as Record<string, unknown>;
    expect(Object.keys(server)).toStrictEqual(FIELD_NAMES);
    for (const name of FIELD_NAMES) {
      const stored: unknown = row[name];
      expect([name, server[name]]).toStrictEqual([
        name,
        DECLARED[name].column.json === true ? JSON.parse(String(stored)) : stored,
      ]);
    }
    expect(server.tags).toStrictEqual(['a', 'b']);
  });

  it('exports the declared CSV columns, in order, each cell the field’s value', async () => {
    expect(CSV_COLUMNS.every((column) => FIELD_NAMES.includes(column))).toBe(true);
    const created = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/servers',
        headers: AS_BOOTSTRAP,
        payload: { hostname: 'csv-1', ip: '10.1.0.3', tags: ['x', 'y'], notes: 'plain', role: 'web' },
      })
    ).json<Record<string, unknown>>();
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/servers?hostname=csv-1' })).json<{
      servers: Record<string, unknown>[];
    }>().servers[0];
    expect(listed).toStrictEqual({ ...created, last_seen_at: null });
    const csv = (await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=csv&hostname=csv-1' })).body;
    const [header, record] = csv.split('\r\n');
    expect(header).toBe(CSV_COLUMNS.join(','));
    const expected = CSV_COLUMNS.map((column) => {
      const value = listed?.[column];
      return Array.isArray(value)
        ? value.join(' ')
        : typeof value === 'string'
          ? value
          : value === null
            ? ''
            : JSON.stringify(value);
    });
    expect(record?.split(',')).toStrictEqual(expected);
  });

  it('lists a filter parameter for every declared filter and a sort key for every sortable field', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, { get?: { parameters?: { name: string; description?: string }[] } }>;
    }>();
    const parameters = document.paths['/api/v1/servers']?.get?.parameters ?? [];
    for (const { field, parameter } of FIELD_FILTERS) {
      const documented = parameters.find((p) => p.name === parameter);
      expect([
        parameter,
        documented?.description?.startsWith(DECLARED[field].filter?.description ?? '?'),
      ]).toStrictEqual([parameter, true]);
    }
    expect(FIELD_FILTERS.map((filter) => filter.field).sort()).toStrictEqual(fieldsWith('filter').sort());
    expect(SORT_FIELDS).toStrictEqual(fieldsWith('sort'));
    const sort = parameters.find((p) => p.name === 'sort')?.description ?? '';
    expect(sort).toContain(`among ${SORT_FIELDS.join(', ')},`);
  });

  it('gives each feed the declared fields: Ansible host variables and groups, Prometheus labels', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: {
        hostname: 'feed-1',
        ip: '10.1.0.4',
        environment: 'production',
        role: 'web',
        location: 'par-1',
        tags: ['pci'],
      },
    });
    const ansible = (await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible?hostname=feed-1' })).json<{
      _meta: { hostvars: Record<string, Record<string, unknown>> };
      all: { children: string[] };
    }>();
    const variables = FIELD_NAMES.filter((name) => DECLARED[name].ansible?.variable === true);
    expect(Object.keys(ansible._meta.hostvars['feed-1'] ?? {})).toStrictEqual([
      'ansible_host',
      ...variables.map((name) => `server_${name}`),
    ]);
    expect(ansible.all.children).toStrictEqual([
      'ungrouped',
      'env_production',
      'location_par_1',
      'role_web',
      'status_up',
      'tag_pci',
    ]);

    const prometheus = (
      await t.app.inject({ method: 'GET', url: '/api/v1/integrations/prometheus?hostname=feed-1' })
    ).json<{ labels: Record<string, string> }[]>();
    expect(Object.keys(prometheus[0]?.labels ?? {})).toStrictEqual(
      fieldsWith('prometheus').map((name) => `__meta_inventory_${name}`),
    );
  });
});
