// The server form's logic, in Node: the merge patch of what changed, the body of a create, the API's
// field errors by input, what changed between two versions, and the form rebased after a conflict.
import { describe, expect, it } from 'vitest';
import type { components } from '../../web/src/openapi.js';
import {
  buildCreate,
  buildPatch,
  canWrite,
  customValue,
  diffServers,
  editedInputs,
  emptyForm,
  fieldErrors,
  formFromServer,
  inputOf,
  parseTags,
  rebase,
} from '../../web/src/server-form.js';

type Server = components['schemas']['Server'];

const DEFINITIONS = [
  { name: 'rack', type: 'string' },
  { name: 'units', type: 'integer' },
  { name: 'backed_up', type: 'boolean' },
  { name: 'tier', type: 'enum' },
] as const;

function server(overrides: Partial<Server> & { custom?: Record<string, unknown> } = {}): Server {
  const { custom = { rack: 'r1', units: 2 }, ...rest } = overrides;
  return {
    id: 7,
    hostname: 'web-01',
    ip: '10.0.0.7',
    status: 'up',
    environment: 'production',
    role: null,
    location: null,
    os: 'debian',
    tags: ['web', 'edge'],
    notes: null,
    managed_by: null,
    custom_fields: custom as Record<string, never>,
    created_at: '2026-11-01T10:00:00.000Z',
    updated_at: '2026-11-01T10:00:00.000Z',
    ...rest,
  };
}

describe('formFromServer', () => {
  it('holds every field as text: no value as empty, tags joined, custom values as typed text', () => {
    expect(formFromServer(server({ custom: { rack: 'r1', units: 2, backed_up: false } }))).toStrictEqual({
      hostname: 'web-01',
      ip: '10.0.0.7',
      status: 'up',
      environment: 'production',
      role: '',
      location: '',
      os: 'debian',
      tags: 'web, edge',
      notes: '',
      custom: { rack: 'r1', units: '2', backed_up: 'false' },
    });
  });
});

describe('buildPatch', () => {
  const base = formFromServer(server());

  it('is empty when nothing changed, or when text means the same (spaces around tags and labels)', () => {
    expect(buildPatch(base, base, DEFINITIONS)).toStrictEqual({});
    expect(buildPatch(base, { ...base, tags: 'web,edge ', environment: ' production' }, DEFINITIONS)).toStrictEqual({});
  });

  it('sends only the changed fields; an emptied field is null, a new one its value', () => {
    const form = {
      ...base,
      status: 'maintenance' as const,
      os: '',
      notes: 'moved\n to rack 4 ',
      tags: 'web, edge, new',
    };
    expect(buildPatch(base, form, DEFINITIONS)).toStrictEqual({
      status: 'maintenance',
      os: null,
      notes: 'moved\n to rack 4 ',
      tags: ['web', 'edge', 'new'],
    });
  });

  it('sends the changed custom fields by their type, null to remove one', () => {
    const form = { ...base, custom: { rack: '', units: '4', backed_up: 'true' } };
    expect(buildPatch(base, form, DEFINITIONS)).toStrictEqual({
      custom_fields: { rack: null, units: 4, backed_up: true },
    });
  });

  it('sends text that is not a number as it is, for the API to refuse at the field', () => {
    expect(buildPatch(base, { ...base, custom: { ...base.custom, units: 'four' } }, DEFINITIONS)).toStrictEqual({
      custom_fields: { units: 'four' },
    });
  });

  it('clears every tag with an empty array', () => {
    expect(buildPatch(base, { ...base, tags: ' ' }, DEFINITIONS)).toStrictEqual({ tags: [] });
  });
});

describe('customValue', () => {
  it('reads numbers, booleans and text by the type; empty is no value', () => {
    expect(customValue('integer', ' 12 ')).toBe(12);
    expect(customValue('number', '-1.5e2')).toBe(-150);
    expect(customValue('number', '1,5')).toBe('1,5');
    expect(customValue('boolean', 'false')).toBe(false);
    expect(customValue('date', ' 2026-11-30 ')).toBe('2026-11-30');
    expect(customValue('string', ' kept ')).toBe(' kept ');
    expect(customValue('string', '   ')).toBeNull();
    expect(customValue(undefined, 'x')).toBe('x');
  });
});

describe('buildCreate', () => {
  it('sends the given fields and leaves the empty ones to the API defaults', () => {
    const form = { ...emptyForm(), hostname: ' db-01 ', ip: '10.0.0.9', role: 'db', custom: { rack: '', units: '3' } };
    expect(buildCreate(form, DEFINITIONS)).toStrictEqual({
      hostname: 'db-01',
      ip: '10.0.0.9',
      status: 'up',
      role: 'db',
      custom_fields: { units: 3 },
    });
  });

  it('sends hostname and ip even empty, so that the API names them as required', () => {
    expect(buildCreate(emptyForm(), [])).toStrictEqual({ hostname: '', ip: '', status: 'up' });
  });
});

describe('field errors', () => {
  it('names the input of a field, an item of the tags, and a custom field', () => {
    expect(inputOf('ip')).toBe('ip');
    expect(inputOf('tags[3]')).toBe('tags');
    expect(inputOf('custom_fields.rack')).toBe('custom_fields.rack');
    expect(inputOf('custom_fields')).toBeNull();
    expect(inputOf('if-match')).toBeNull();
    expect(inputOf('managed_by')).toBeNull();
    expect(inputOf('[2].ip')).toBeNull();
  });

  it('sorts the details by input, and keeps those that name none for the summary', () => {
    const details = [
      { field: 'ip', message: 'must be an IPv4 or IPv6 address' },
      { field: 'tags[0]', message: 'must match [a-z0-9]' },
      { field: 'tags[2]', message: 'repeats tag 0' },
      { field: 'custom_fields.units', message: 'must be an integer' },
      { field: 'body', message: 'is not an object' },
    ];
    expect(fieldErrors(details)).toStrictEqual({
      byInput: {
        ip: ['must be an IPv4 or IPv6 address'],
        tags: ['must match [a-z0-9]', 'repeats tag 0'],
        'custom_fields.units': ['must be an integer'],
      },
      other: [{ field: 'body', message: 'is not an object' }],
    });
    expect(fieldErrors(undefined)).toStrictEqual({ byInput: {}, other: [] });
  });

  it('names the tag an error points at by its text, from the tags sent', () => {
    const details = [
      { field: 'tags[1]', message: 'must match [a-z0-9]' },
      { field: 'tags[9]', message: 'beyond the tags sent' },
      { field: 'tags', message: 'must not repeat a tag' },
    ];
    expect(
      fieldErrors(details, { tags: ['web', 'Web Server'], tagMessage: (tag, message) => `<${tag}> ${message}` })
        .byInput,
    ).toStrictEqual({ tags: ['<Web Server> must match [a-z0-9]', 'beyond the tags sent', 'must not repeat a tag'] });
    expect(fieldErrors(details.slice(0, 1), { tags: ['web', 'a b'] }).byInput).toStrictEqual({
      tags: ['"a b": must match [a-z0-9]'],
    });
  });

  it('leaves an error for an input the form does not show to the summary', () => {
    const details = [
      { field: 'custom_fields.gone', message: 'is not a defined custom field' },
      { field: 'custom_fields.rack', message: 'must be a string' },
      { field: 'ip', message: 'bad' },
    ];
    expect(fieldErrors(details, { shown: ['ip', 'custom_fields.rack'] })).toStrictEqual({
      byInput: { 'custom_fields.rack': ['must be a string'], ip: ['bad'] },
      other: [{ field: 'custom_fields.gone', message: 'is not a defined custom field' }],
    });
  });
});

describe('diffServers', () => {
  it('lists each field that differs, from and to, fixed fields first, then custom fields by name', () => {
    const before = server();
    const after = server({
      status: 'down',
      tags: ['web'],
      managed_by: 'vcenter-sync',
      updated_at: '2026-11-02T10:00:00.000Z',
      custom: { units: 2, tier: 'gold' },
    });
    expect(diffServers(before, after)).toStrictEqual([
      { field: 'status', from: 'up', to: 'down' },
      { field: 'tags', from: ['web', 'edge'], to: ['web'] },
      { field: 'managed_by', from: null, to: 'vcenter-sync' },
      { field: 'custom_fields.rack', from: 'r1', to: null },
      { field: 'custom_fields.tier', from: null, to: 'gold' },
    ]);
  });

  it('is empty for two versions with the same fields (the timestamps are not fields)', () => {
    expect(diffServers(server(), server({ updated_at: '2026-12-01T00:00:00.000Z' }))).toStrictEqual([]);
  });
});

describe('rebase', () => {
  it("keeps this person's edits on top of the current version, and takes the others' changes elsewhere", () => {
    const original = formFromServer(server());
    const mine = { ...original, notes: 'mine', os: 'ubuntu', custom: { ...original.custom, units: '8' } };
    const current = formFromServer(
      server({ status: 'down', os: 'alpine', role: 'web', custom: { rack: 'r9', units: 2 } }),
    );
    const next = rebase(original, mine, current, DEFINITIONS);
    expect(next).toStrictEqual({
      ...current,
      notes: 'mine',
      os: 'ubuntu',
      custom: { rack: 'r9', units: '8' },
    });
    // Saving it then sends only this person's edits, over the current version.
    expect(buildPatch(current, next, DEFINITIONS)).toStrictEqual({
      os: 'ubuntu',
      notes: 'mine',
      custom_fields: { units: 8 },
    });
    expect(editedInputs(original, mine, DEFINITIONS)).toStrictEqual(['os', 'notes', 'custom_fields.units']);
  });
});

describe('canWrite', () => {
  it('offers writes to write and admin tokens only', () => {
    expect(canWrite({ scope: 'write' })).toBe(true);
    expect(canWrite({ scope: 'admin' })).toBe(true);
    expect(canWrite({ scope: 'read' })).toBe(false);
    expect(canWrite(null)).toBe(false);
  });
});

describe('parseTags', () => {
  it('splits on commas only, trimmed, without empty tags: a space stays in its tag (for the API to name)', () => {
    expect(parseTags(' a, b  c,,d ')).toStrictEqual(['a', 'b  c', 'd']);
    expect(parseTags('web server')).toStrictEqual(['web server']);
    expect(parseTags(' , ')).toStrictEqual([]);
    expect(parseTags('')).toStrictEqual([]);
  });
});
