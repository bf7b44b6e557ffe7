// POST /api/v1/servers/apply with custom fields, on the database the suite runs on: JSON, NDJSON and
// CSV items, checked against the definitions in the apply's transaction.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { valueAsText } from '../../../src/custom-fields/custom-fields.values.js';
import { CSV_COLUMNS, csvCell } from '../../../src/servers/servers.export.js';
import type { ListedServer } from '../../../src/servers/servers.schemas.js';
import { APPLY_URL as URL, applyRequests } from '../../helpers/apply.js';
import { type TestApp, buildTestApp } from '../../helpers/build-test-app.js';
import { defineFields } from '../../helpers/custom-fields.js';

const CSV = { 'content-type': 'text/csv' };

const stringMatching = (pattern: RegExp): string => expect.stringMatching(pattern) as string;

let t: TestApp;
const { applied, refused } = applyRequests(() => t.app);
const define = (...definitions: object[]) => defineFields(t.app, definitions);

beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  await t.app.close();
});

/** The servers of a source, as the list gives them, by host name. */
async function servers(source: string): Promise<Record<string, ListedServer>> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers?managed_by=${source}&limit=100` });
  expect(res.statusCode, res.body).toBe(200);
  return Object.fromEntries(res.json<{ servers: ListedServer[] }>().servers.map((s) => [s.hostname, s]));
}

async function history(id: number): Promise<{ action: string; changes: Record<string, unknown> }[]> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers/${id}/history` });
  return res.json<{ changes: { action: string; changes: Record<string, unknown> }[] }>().changes;
}

/** Everything an apply may write: the rows (versions and observations included), the feed. */
async function snapshot() {
  const rows = await t.db.selectFrom('servers').selectAll().orderBy('id').execute();
  const changes = await t.db.selectFrom('server_changes').selectAll().orderBy('seq').execute();
  return { rows, changes };
}

/** The same, but the observations (last_seen_at), which every apply moves. */
async function written() {
  const { rows, changes } = await snapshot();
  return { rows: rows.map((row) => ({ ...row, last_seen_at: undefined })), changes };
}

/** Fields of every type but url and datetime, one required with a default, one with a default. */
const APPLY_FIELDS = [
  { name: 'rack', type: 'string', pattern: '^R[0-9]+$' },
  { name: 'u', type: 'integer', minimum: 1, maximum: 48 },
  { name: 'tier', type: 'enum', choices: ['gold', 'silver'], default: 'silver' },
  { name: 'monitored', type: 'boolean', required: true, default: true },
  { name: 'bought', type: 'date' },
] as const;
/** Those, the other types and a free text field: a column of every kind for the CSV tests. */
const CSV_FIELDS = [
  ...APPLY_FIELDS,
  { name: 'seen', type: 'datetime' },
  { name: 'load', type: 'number' },
  { name: 'docs', type: 'url' },
  { name: 'note', type: 'string' },
] as const;

describe(`POST ${URL} with custom fields, JSON`, () => {
  it('creates with the values given and the defaults of the fields not named, null giving no value', async () => {
    await define(...APPLY_FIELDS);
    const result = await applied({
      source: 'sync',
      servers: [
        { hostname: 'cf-1', ip: '192.0.2.1', custom_fields: { rack: 'R1', u: 4, monitored: false } },
        { hostname: 'cf-2', ip: '192.0.2.2' },
        { hostname: 'cf-3', ip: '192.0.2.3', custom_fields: { tier: null, bought: '2026-01-31' } },
      ],
    });
    expect(result.summary).toStrictEqual({ created: 3, updated: 0, deleted: 0, unchanged: 0 });
    const listed = await servers('sync');
    expect(listed['cf-1']?.custom_fields).toStrictEqual({ monitored: false, rack: 'R1', tier: 'silver', u: 4 });
    expect(listed['cf-2']?.custom_fields).toStrictEqual({ monitored: true, tier: 'silver' });
    // null is no value: the default of a field named null is not taken.
    expect(listed['cf-3']?.custom_fields).toStrictEqual({ bought: '2026-01-31', monitored: true });
    const [created] = await history(listed['cf-1']?.id ?? 0);
    expect(created?.changes).toMatchObject({
      'custom_fields.rack': { from: null, to: 'R1' },
      'custom_fields.u': { from: null, to: 4 },
      'custom_fields.tier': { from: null, to: 'silver' },
    });
  });

  it('changes the values given, keeps those not named, removes those given null, and records each change', async () => {
    await define(...APPLY_FIELDS);
    await applied({
      source: 'sync',
      servers: [{ hostname: 'cf-1', ip: '192.0.2.1', custom_fields: { rack: 'R1', u: 4, bought: '2026-01-31' } }],
    });
    const id = (await servers('sync'))['cf-1']?.id ?? 0;
    const result = await applied({
      source: 'sync',
      servers: [{ hostname: 'cf-1', custom_fields: { rack: 'R2', u: null, tier: 'gold' } }],
    });
    expect(result.updated).toStrictEqual([
      {
        hostname: 'cf-1',
        id,
        changes: {
          'custom_fields.rack': { from: 'R1', to: 'R2' },
          'custom_fields.tier': { from: 'silver', to: 'gold' },
          'custom_fields.u': { from: 4, to: null },
        },
      },
    ]);
    const server = (await servers('sync'))['cf-1'];
    expect(server?.custom_fields).toStrictEqual({ bought: '2026-01-31', monitored: true, rack: 'R2', tier: 'gold' });
    expect((await history(id)).at(-1)).toMatchObject({ action: 'update', changes: result.updated[0]?.changes });

    // Items that name no field, or give the values the servers have, leave them alone: no write at all.
    const before = await written();
    for (const item of [
      { hostname: 'cf-1' },
      { hostname: 'cf-1', custom_fields: {} },
      { hostname: 'cf-1', custom_fields: { rack: 'R2', u: null, monitored: true } },
    ]) {
      const again = await applied({ source: 'sync', servers: [item] });
      expect(again.summary, JSON.stringify(item)).toStrictEqual({ created: 0, updated: 0, deleted: 0, unchanged: 1 });
    }
    expect(await written()).toStrictEqual(before);
  });

  it('removes every value with custom_fields: null, and refuses that where a field is required', async () => {
    await define({ name: 'rack', type: 'string' });
    await applied({ source: 'sync', servers: [{ hostname: 'cf-1', ip: '192.0.2.1', custom_fields: { rack: 'R1' } }] });
    const result = await applied({ source: 'sync', servers: [{ hostname: 'cf-1', custom_fields: null }] });
    expect(result.updated[0]?.changes).toStrictEqual({ 'custom_fields.rack': { from: 'R1', to: null } });

    await define({ name: 'owner', type: 'string', required: true, default: 'ops' });
    const body = await refused({ source: 'sync', servers: [{ hostname: 'cf-1', custom_fields: null }] });
    expect(body.details).toStrictEqual([
      { field: 'servers[0].custom_fields.owner', message: stringMatching(/^is required: must be a string/) },
    ]);
  });

  it('refuses bad values, unknown fields and missing required ones with one 400 naming each item, writing nothing', async () => {
    // No server yet: a field can be made required without a default.
    await t.app.close();
    t = await buildTestApp({ seed: false });
    await define(...APPLY_FIELDS, { name: 'owner', type: 'string', required: true });
    await applied({
      source: 'sync',
      servers: [{ hostname: 'cf-1', ip: '192.0.2.1', custom_fields: { owner: 'ops' } }],
    });
    const before = await snapshot();
    const body = await refused({
      source: 'sync',
      servers: [
        { hostname: 'cf-1', custom_fields: { rack: 'X9', u: 49 } },
        { hostname: 'cf-2', ip: '192.0.2.2' },
        { hostname: 'cf-3', ip: '192.0.2.3', custom_fields: { owner: 'ops', colour: 'red', monitored: 'yes' } },
        { hostname: 'cf-1-b', ip: '192.0.2.4', custom_fields: { owner: null } },
        { hostname: 'cf-5', custom_fields: { owner: 'ops', bought: '2026-02-30' } },
      ],
    });
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details).toStrictEqual([
      { field: 'servers[0].custom_fields.rack', message: stringMatching(/"\^R\[0-9\]\+\$".*\(got "X9"\)$/) },
      { field: 'servers[0].custom_fields.u', message: 'must be an integer between 1 and 48 (got 49)' },
      { field: 'servers[1].custom_fields.owner', message: stringMatching(/^is required: /) },
      {
        field: 'servers[2].custom_fields.colour',
        message: 'is not a defined custom field: GET /api/v1/custom-fields lists them',
      },
      { field: 'servers[2].custom_fields.monitored', message: 'must be true or false (got "yes")' },
      { field: 'servers[3].custom_fields.owner', message: stringMatching(/^is required: /) },
      { field: 'servers[4].ip', message: stringMatching(/^is required to create a server/) },
      { field: 'servers[4].custom_fields.bought', message: 'must be a date as YYYY-MM-DD (got "2026-02-30")' },
    ]);
    expect(await snapshot()).toStrictEqual(before);
  });

  it('answers a dry run with the custom changes the apply then makes', async () => {
    await define(...APPLY_FIELDS);
    await applied({ source: 'sync', servers: [{ hostname: 'cf-1', ip: '192.0.2.1', custom_fields: { rack: 'R1' } }] });
    const input = {
      source: 'sync',
      servers: [
        { hostname: 'cf-1', custom_fields: { rack: 'R7', u: 2 } },
        { hostname: 'cf-2', ip: '192.0.2.2', custom_fields: { tier: 'gold' } },
      ],
    };
    const before = await snapshot();
    const plan = await applied({ ...input, dry_run: true });
    expect(await snapshot()).toStrictEqual(before);
    expect(plan.updated[0]?.changes).toStrictEqual({
      'custom_fields.rack': { from: 'R1', to: 'R7' },
      'custom_fields.u': { from: null, to: 2 },
    });
    const real = await applied(input);
    expect(real.updated).toStrictEqual(plan.updated);
    expect((await servers('sync'))['cf-2']?.custom_fields).toStrictEqual({ monitored: true, tier: 'gold' });
    // A dry run checks the values as the real run does.
    const bad = await refused({ ...input, servers: [{ hostname: 'cf-1', custom_fields: { u: 0 } }], dry_run: true });
    expect(bad.details?.[0]?.field).toBe('servers[0].custom_fields.u');
  });

  it('names the NDJSON line of a bad value', async () => {
    await define(...APPLY_FIELDS);
    const body = await refused(
      '{"hostname":"cf-1","ip":"192.0.2.1","custom_fields":{"u":3}}\n\n{"hostname":"cf-2","ip":"192.0.2.2","custom_fields":{"u":"3"}}\n',
      { 'content-type': 'application/x-ndjson' },
      '?source=sync',
    );
    expect(body.details).toStrictEqual([{ field: 'line 3.custom_fields.u', message: stringMatching(/\(got "3"\)$/) }]);
  });
});

describe(`POST ${URL} with custom fields, CSV`, () => {
  it('reads cf_ cells by each field’s type, removes a value on an empty cell, and keeps the fields of no column', async () => {
    await define(...CSV_FIELDS);
    const csv = [
      'hostname,ip,cf_rack,cf_u,cf_tier,cf_monitored,cf_bought,cf_seen,cf_load,cf_docs,cf_note',
      "cf-1,192.0.2.1,R1,4,gold,false,2026-01-31,2026-01-31T12:00:00+01:00,-0.5,https://wiki.example/x,'=SUM(A1)",
      'cf-2,192.0.2.2,,,,true,,,,,""',
      '',
    ].join('\r\n');
    const created = await applied(csv, CSV, '?source=sheet');
    expect(created.summary.created).toBe(2);
    let listed = await servers('sheet');
    expect(listed['cf-1']?.custom_fields).toStrictEqual({
      bought: '2026-01-31',
      docs: 'https://wiki.example/x',
      load: -0.5,
      monitored: false,
      note: '=SUM(A1)',
      rack: 'R1',
      seen: '2026-01-31T11:00:00.000Z',
      tier: 'gold',
      u: 4,
    });
    // Empty cells are no value: not even the default (tier's).
    expect(listed['cf-2']?.custom_fields).toStrictEqual({ monitored: true });
    // Without a column, a new server takes the defaults.
    await applied('hostname,ip,cf_rack\r\ncf-3,192.0.2.3,R3\r\n', CSV, '?source=sheet');
    expect((await servers('sheet'))['cf-3']?.custom_fields).toStrictEqual({
      monitored: true,
      rack: 'R3',
      tier: 'silver',
    });

    // Without a column the values stay; an empty cell removes one.
    const changed = await applied('hostname,cf_u,cf_tier\r\ncf-1,,silver\r\n', CSV, '?source=sheet');
    expect(changed.updated[0]?.changes).toStrictEqual({
      'custom_fields.tier': { from: 'gold', to: 'silver' },
      'custom_fields.u': { from: 4, to: null },
    });
    listed = await servers('sheet');
    expect(listed['cf-1']?.custom_fields).toMatchObject({ rack: 'R1', monitored: false, note: '=SUM(A1)' });
    expect(listed['cf-1']?.custom_fields.u).toBeUndefined();
    // A semicolon-separated file reads the same.
    const same = await applied('hostname;cf_rack;cf_tier\r\ncf-1;R1;silver\r\n', CSV, '?source=sheet');
    expect(same.summary.unchanged).toBe(1);
  });

  it('refuses a cf_ column that names no custom field, and a bad cell, naming the line and column', async () => {
    await define(...APPLY_FIELDS);
    const before = await snapshot();
    const unknown = await refused('hostname,ip,cf_rack,cf_colour\r\ncf-1,192.0.2.1,R1,red\r\n', CSV, '?source=sheet');
    expect(unknown.details).toStrictEqual([
      {
        field: 'line 1',
        message:
          'names the column "cf_colour", which is not a defined custom field: GET /api/v1/custom-fields lists them',
      },
    ]);
    // Not a field name at all: the parser refuses it as any unknown column.
    const malformed = await refused('hostname,ip,cf_Rack\r\ncf-1,192.0.2.1,R1\r\n', CSV, '?source=sheet');
    expect(malformed.details).toStrictEqual([
      {
        field: 'line 1',
        message: stringMatching(/^names an unknown column "cf_Rack"; .* cf_<name> for each custom field$/),
      },
    ]);
    const many = Array.from({ length: 65 }, (_v, i) => `cf_f${i}`).join(',');
    const tooMany = await refused(`hostname,${many}\r\n`, CSV, '?source=sheet');
    expect(tooMany.details).toStrictEqual([
      { field: 'line 1', message: 'names 65 custom fields: an inventory has at most 64, remove the others' },
    ]);
    const bad = await refused(
      'hostname,ip,notes,cf_u,cf_monitored\r\ncf-1,192.0.2.1,"two\r\nlines",4,true\r\ncf-2,192.0.2.2,,four,\r\n',
      CSV,
      '?source=sheet',
    );
    expect(bad.details).toStrictEqual([
      { field: 'line 4.cf_u', message: 'must be an integer between 1 and 48 (got "four")' },
      { field: 'line 4.cf_monitored', message: stringMatching(/^is required: must be true or false/) },
    ]);
    expect(await snapshot()).toStrictEqual(before);
  });

  it('applies a CSV export with cf_ columns back without a change', async () => {
    await define(...CSV_FIELDS);
    await applied({
      source: 'sheet',
      servers: [
        {
          hostname: 'rt-1',
          ip: '192.0.2.1',
          notes: '=HYPERLINK("http://x")',
          custom_fields: { rack: 'R1', u: 48, tier: 'gold', bought: '2026-01-31', seen: '2026-01-31T12:00:00Z' },
        },
        {
          hostname: 'rt-2',
          ip: '2001:db8::2',
          custom_fields: {
            load: 1e21,
            docs: 'https://wiki.example/a,b',
            note: '\'=already, "quoted"\r\nand two lines',
          },
        },
        { hostname: 'rt-3', ip: '192.0.2.3', custom_fields: { tier: null, monitored: false, load: -0.25, note: '-5' } },
      ],
    });
    const before = await written();
    // The export's CSV: the fixed columns, then cf_<name> for each field in the order they were made,
    // each value as text, defused and quoted as any other cell, empty where the server has none.
    const names = ['rack', 'u', 'tier', 'monitored', 'bought', 'seen', 'load', 'docs', 'note'];
    const exported = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=csv&managed_by=sheet' });
    const csv = exported.body;
    const [header = '', ...records] = csv.split('\r\n').filter((line) => line !== '');
    expect(header).toBe([...CSV_COLUMNS, ...names.map((name) => `cf_${name}`)].join(','));
    // Each value as its cell says it is: text defused and quoted as any other cell, empty where none.
    const listed = Object.values(await servers('sheet')).sort((a, b) => a.id - b.id);
    listed.forEach((server, i) => {
      const values = server.custom_fields;
      const cells = names.map((name) => (values[name] === undefined ? '' : csvCell(valueAsText(values[name]))));
      expect(records.join('\r\n')).toContain(cells.join(','));
      expect(records[i]).toBeDefined();
    });
    expect(csv).toContain("''=already");
    const result = await applied(csv, CSV, '?source=sheet');
    expect(result.summary).toStrictEqual({ created: 0, updated: 0, deleted: 0, unchanged: 3 });
    expect(await written()).toStrictEqual(before);
  });
});
