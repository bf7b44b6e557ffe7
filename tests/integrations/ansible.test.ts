import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GROUP_KIND_NAMES,
  type GroupKind,
  ansibleInventory,
  groupName,
  groupNames,
} from '../../src/integrations/ansible.js';
import { CUSTOM_FIELD_NAME_PATTERN } from '../../src/custom-fields/custom-fields.schemas.js';
import { FIELD_NAMES, defaultValues } from '../../src/servers/server-fields.js';
import { SERVER_STATUSES } from '../../src/servers/server-fields.schemas.js';
import type { Server } from '../../src/servers/servers.schemas.js';
import { AT } from '../helpers/servers.js';

function server(id: number, fields: Partial<Server> = {}): Server {
  return {
    id,
    hostname: `host-${id}`,
    ip: `10.0.0.${id}`,
    ...defaultValues(),
    created_at: AT,
    updated_at: AT,
    ...fields,
  };
}

const sha6 = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 6);

/** Paths of strings that are not the value of an `{"__ansible_unsafe": ...}` wrapper. */
function bareStrings(value: unknown, path = ''): string[] {
  if (typeof value === 'string') {
    return [path];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => bareStrings(item, `${path}[${i}]`));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const [only] = entries;
    if (entries.length === 1 && only?.[0] === '__ansible_unsafe' && typeof only[1] === 'string') {
      return [];
    }
    return entries.flatMap(([key, item]) => bareStrings(item, `${path}.${key}`));
  }
  return [];
}

const noValues = () =>
  Object.fromEntries(GROUP_KIND_NAMES.map((kind): [GroupKind, string[]] => [kind, []])) as Record<GroupKind, string[]>;

describe('ansibleInventory', () => {
  it('marks every string of the host variables unsafe, and keeps the id and nulls as they are', () => {
    const full = server(7, {
      hostname: 'web-07',
      ip: '2001:db8::7',
      status: 'maintenance',
      environment: 'e{{ x }}',
      role: 'r{% raw %}',
      location: 'l{# c #}',
      os: 'debian-12',
      tags: ['a', 'b.c'],
      notes: '{{ lookup("pipe", "id") }}',
      managed_by: 'vcenter-sync',
    });
    const { inventory } = ansibleInventory([full, server(8)], []);
    expect(inventory._meta.hostvars['web-07']).toStrictEqual({
      ansible_host: { __ansible_unsafe: '2001:db8::7' },
      server_id: 7,
      server_ip: { __ansible_unsafe: '2001:db8::7' },
      server_status: { __ansible_unsafe: 'maintenance' },
      server_environment: { __ansible_unsafe: 'e{{ x }}' },
      server_role: { __ansible_unsafe: 'r{% raw %}' },
      server_location: { __ansible_unsafe: 'l{# c #}' },
      server_os: { __ansible_unsafe: 'debian-12' },
      server_tags: [{ __ansible_unsafe: 'a' }, { __ansible_unsafe: 'b.c' }],
      server_notes: { __ansible_unsafe: '{{ lookup("pipe", "id") }}' },
      server_managed_by: { __ansible_unsafe: 'vcenter-sync' },
    });
    expect(inventory._meta.hostvars['host-8']).toMatchObject({
      server_environment: null,
      server_role: null,
      server_location: null,
      server_os: null,
      server_tags: [],
      server_notes: null,
      server_managed_by: null,
    });
    expect(bareStrings(inventory._meta.hostvars)).toStrictEqual([]);
  });

  it('leaves out servers with reserved host names, from the hosts and from every group, and names them', () => {
    const { inventory, leftOut } = ansibleInventory(
      [
        server(1, { role: 'web', tags: ['edge'] }),
        server(2, { hostname: 'localhost', role: 'web', tags: ['edge', 'only-localhost'] }),
        server(3, { hostname: 'ungrouped', environment: 'staging' }),
        server(4, { hostname: 'localhost6.localdomain6' }),
      ],
      [],
    );
    expect(leftOut).toStrictEqual(['localhost', 'ungrouped', 'localhost6.localdomain6']);
    expect(Object.keys(inventory._meta.hostvars)).toStrictEqual(['host-1']);
    expect(inventory.all.children).toStrictEqual(['ungrouped', 'role_web', 'status_up', 'tag_edge']);
    expect(inventory.ungrouped).toStrictEqual({ hosts: [] });
    expect(inventory.role_web).toStrictEqual({ hosts: ['host-1'] });
  });

  it('leaves nobody out of an inventory without reserved host names', () => {
    expect(ansibleInventory([server(1), server(2, { hostname: 'localhost-2' })], []).leftOut).toStrictEqual([]);
  });
});

describe('groupNames', () => {
  it('gives every value its own group where a hashed name is some other value’s plain name', () => {
    // sha256("web-app") starts a7a1d1: the hashed name of "web-app" is the plain name of the third.
    expect(sha6('web-app')).toBe('a7a1d1');
    const servers = [
      server(1, { environment: 'web-app' }),
      server(2, { environment: 'web_app' }),
      server(3, { environment: 'web_app_a7a1d1' }),
    ];
    const { inventory } = ansibleInventory(servers, []);
    const envGroups = inventory.all.children.filter((name) => name.startsWith('env_'));
    expect(envGroups).toHaveLength(3);
    expect(inventory.env_web_app_a7a1d1).toStrictEqual({ hosts: ['host-3'] });
    expect(inventory[`env_web_app_${sha6('web_app')}`]).toStrictEqual({ hosts: ['host-2'] });
    const webApp = envGroups.filter((name) => !['env_web_app_a7a1d1', `env_web_app_${sha6('web_app')}`].includes(name));
    expect(webApp).toHaveLength(1);
    expect(webApp[0]).toMatch(/^env_web_app_[0-9a-f]{6}$/);
    expect(inventory[String(webApp[0])]).toStrictEqual({ hosts: ['host-1'] });
    // The same names whatever the order of the servers.
    expect(ansibleInventory([...servers].reverse(), []).inventory.all.children).toStrictEqual(inventory.all.children);
  });

  it('rehashes where two values that share a plain name also share a hash, the same way in any order', () => {
    // Found by search: two spellings of one name whose sha256 starts alike.
    const [a, b] = ['wEBApp-CLusteR', 'weBapp-cLUSTEr'];
    expect(sha6(a)).toBe(sha6(b));
    const forward = groupNames({ ...noValues(), role: [a, b] });
    const backward = groupNames({ ...noValues(), role: [b, a] });
    expect(backward.role).toStrictEqual(forward.role);
    expect(forward.role.get(a)).toBe(`role_webapp_cluster_${sha6(a)}`);
    expect(forward.role.get(b)).toMatch(/^role_webapp_cluster_[0-9a-f]{6}$/);
    expect(forward.role.get(b)).not.toBe(forward.role.get(a));
  });

  it('keeps the plain name of a value that shares it with no other', () => {
    const names = groupNames({ ...noValues(), env: ['Prod EU', 'web-app', 'web_app'], tag: ['web-app'] });
    expect(names.env.get('Prod EU')).toBe('env_prod_eu');
    expect(names.env.get('web-app')).toBe(`env_web_app_${sha6('web-app')}`);
    expect(names.tag.get('web-app')).toBe('tag_web_app');
  });

  // Few characters, so that values often share a plain name; and values built to be the hashed
  // name of another one, so that hashed names often meet plain ones.
  const clashing = fc.stringMatching(/^[a-bA-B0-9 ._-]{1,3}$/);
  const hashedLookalike = clashing.map((value) => `${groupName('x', value).slice(2)}_${sha6(value)}`);
  const value = fc.oneof(
    clashing,
    hashedLookalike,
    fc.constantFrom('web-app', 'web_app', 'web_app_a7a1d1', 'all', 'ungrouped', 'up'),
  );
  const valuesByKind = fc.record(
    Object.fromEntries(GROUP_KIND_NAMES.map((kind) => [kind, fc.array(value, { maxLength: 12 })])) as Record<
      GroupKind,
      fc.Arbitrary<string[]>
    >,
  );

  it('gives distinct values of a kind distinct names, shares no name between kinds, and never takes all or ungrouped', () => {
    fc.assert(
      fc.property(valuesByKind, (values) => {
        const names = groupNames(values);
        const all: string[] = [];
        for (const kind of GROUP_KIND_NAMES) {
          expect([...names[kind].keys()].sort()).toStrictEqual([...new Set(values[kind])].sort());
          for (const name of names[kind].values()) {
            expect(name).toMatch(new RegExp(`^${kind}_[a-z0-9_]*$`));
            all.push(name);
          }
        }
        expect(new Set(all).size).toBe(all.length);
        expect(all).not.toContain('all');
        expect(all).not.toContain('ungrouped');
      }),
      { numRuns: 300 },
    );
  });

  it('names values the same whatever their order', () => {
    fc.assert(
      fc.property(valuesByKind, fc.integer(), (values, seed) => {
        const shuffled = Object.fromEntries(
          GROUP_KIND_NAMES.map((kind) => [
            kind,
            [...values[kind], ...values[kind]].sort((a, b) => (sha6(`${seed}${a}`) < sha6(`${seed}${b}`) ? -1 : 1)),
          ]),
        ) as Record<GroupKind, string[]>;
        const a = groupNames(values);
        const b = groupNames(shuffled);
        for (const kind of GROUP_KIND_NAMES) {
          expect(new Map([...b[kind]].sort())).toStrictEqual(new Map([...a[kind]].sort()));
        }
      }),
    );
  });

  it('puts in each group exactly the servers that hold its value, and one group per value', () => {
    const label = fc.option(value, { nil: null });
    const servers = fc.array(
      fc.record({
        status: fc.constantFrom(...SERVER_STATUSES),
        environment: label,
        role: label,
        location: label,
        tags: fc.uniqueArray(
          value.map((tag) => tag.toLowerCase()),
          { maxLength: 4 },
        ),
      }),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(servers, (fields) => {
        const list = fields.map((f, i) => server(i + 1, f));
        const { inventory } = ansibleInventory(list, []);
        const expected = new Map<string, string[]>();
        for (const s of list) {
          const pairs: [string, string | null][] = [
            ['status', s.status],
            ['env', s.environment],
            ['role', s.role],
            ['location', s.location],
            ...s.tags.map((tag): [string, string] => ['tag', tag]),
          ];
          for (const [kind, v] of pairs) {
            if (v !== null) {
              const key = `${kind}\u0000${v}`;
              expected.set(key, [...(expected.get(key) ?? []), s.hostname]);
            }
          }
        }
        const groups = inventory.all.children.filter((name) => name !== 'ungrouped');
        // Without knowing the names: as many groups as values, and the same memberships.
        expect(groups).toHaveLength(expected.size);
        const members = (hosts: string[][]) => hosts.map((h) => JSON.stringify(h)).sort();
        expect(members(groups.map((name) => (inventory[name] as { hosts: string[] }).hosts))).toStrictEqual(
          members([...expected.values()]),
        );
        expect(bareStrings(inventory._meta.hostvars)).toStrictEqual([]);
      }),
    );
  });
});

describe('ansibleInventory with custom fields', () => {
  const definitions = [{ name: 'rack' }, { name: 'u' }, { name: 'backup' }, { name: 'backup_policy' }];
  const withValues = server(1, { custom_fields: { backup: true, gone: 'x', rack: '{{ x }}', u: 0 } });

  it('gives each value a variable server_cf_<name>, strings unsafe, in definition order, none for a missing value', () => {
    const { inventory } = ansibleInventory([withValues, server(2)], definitions);
    const vars = inventory._meta.hostvars['host-1'] ?? {};
    expect(Object.entries(vars).filter(([name]) => name.startsWith('server_cf_'))).toStrictEqual([
      ['server_cf_rack', { __ansible_unsafe: '{{ x }}' }],
      ['server_cf_u', 0],
      ['server_cf_backup', true],
    ]);
    // A value of a field no longer defined (deleted meanwhile) is left out.
    expect(vars).not.toHaveProperty('server_cf_gone');
    expect(Object.keys(inventory._meta.hostvars['host-2'] ?? {}).filter((name) => name.includes('_cf_'))).toStrictEqual(
      [],
    );
    expect(bareStrings(inventory._meta.hostvars)).toStrictEqual([]);
  });

  it('makes a valid Ansible variable name of every custom field name, clashing with no field', () => {
    // A Python identifier in ASCII, Ansible's rule (the prefix keeps Python's keywords out).
    const ANSIBLE_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
    fc.assert(
      fc.property(fc.stringMatching(new RegExp(CUSTOM_FIELD_NAME_PATTERN)), (name) => {
        const { inventory } = ansibleInventory([server(1, { custom_fields: { [name]: 1 } })], [{ name }]);
        const variable = `server_cf_${name}`;
        expect(inventory._meta.hostvars['host-1']).toHaveProperty([variable], 1);
        expect(variable).toMatch(ANSIBLE_VARIABLE);
      }),
    );
    // server_<field>, __meta_inventory_<field> and the CSV's columns leave cf_ to the custom fields.
    expect(FIELD_NAMES.filter((name) => name.startsWith('cf_'))).toStrictEqual([]);
  });
});
