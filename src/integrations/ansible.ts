import { createHash } from 'node:crypto';
import type { CustomValue } from '../custom-fields/custom-fields.schemas.js';
import type { Definition } from '../custom-fields/custom-fields.values.js';
import { isReservedHostname } from '../servers/hostnames.js';
import { DECLARED, type Declarations, FIELD_NAMES, type FieldName, type FieldsWith } from '../servers/server-fields.js';
import type { FeedServer } from '../servers/servers.mapper.js';
import {
  type AnsibleHostVars,
  type AnsibleInventory,
  CUSTOM_VARIABLE_PREFIX,
  type UnsafeString,
  VARIABLE_FIELDS,
} from './ansible.schemas.js';

/** The kinds of group, by prefix (`ansible.group` in src/servers/server-fields.ts). */
export type GroupKind = {
  [N in FieldName]: Declarations[N] extends { ansible: { group: infer G extends string } } ? G : never;
}[FieldName];

/** The fields Ansible groups by. */
type GroupField = FieldsWith<'ansible', { group: string }>;

/** The field each kind of group groups by, in the order of the declaration. */
const GROUP_FIELDS = Object.fromEntries(
  FIELD_NAMES.flatMap((name) => {
    const group = DECLARED[name].ansible?.group;
    return group === undefined ? [] : [[group, name]];
  }),
) as Record<GroupKind, GroupField>;
export const GROUP_KIND_NAMES = Object.keys(GROUP_FIELDS) as GroupKind[];

/** The values of a server a kind of group groups by: none for null, each item of a list. */
function groupValues(server: FeedServer, kind: GroupKind): readonly string[] {
  const value = server[GROUP_FIELDS[kind]];
  if (value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

function byKind<T>(make: (kind: GroupKind) => T): Record<GroupKind, T> {
  return Object.fromEntries(GROUP_KIND_NAMES.map((kind) => [kind, make(kind)])) as Record<GroupKind, T>;
}

/** Ansible's own groups: no derived name may take them. */
const BUILT_IN_GROUPS = ['all', 'ungrouped'];

/** An Ansible group name: lowercase letters, digits and underscores, after a prefix. */
export function groupName(prefix: string, value: string): string {
  return `${prefix}_${value.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

/** `<name>_<6 hex of sha256>`, rehashed until it is not taken. */
function hashedName(name: string, value: string, taken: ReadonlySet<string>): string {
  for (let attempt = 0; ; attempt += 1) {
    // Attempt 0 hashes the value alone, as the names have always been made: groups keep their names.
    const input = attempt === 0 ? value : `${value}\u0000${attempt}`;
    const candidate = `${name}_${createHash('sha256').update(input).digest('hex').slice(0, 6)}`;
    if (!taken.has(candidate)) {
      return candidate;
    }
  }
}

/**
 * The group name of every value of every kind, distinct over all of them, so that a playbook never
 * reaches hosts that belong to another value. A value whose plain name (`groupName`) no other value
 * shares keeps it; values that share one ("web-app" and "web_app") each get the name followed by a
 * hash of the value, rehashed while that is taken (by a value such as "web_app_a7a1d1", whose plain
 * name it would be). Values are taken in sorted order, so the names depend on the set of values
 * alone, not on the order of the servers. A new value can rename a group: the one it clashes with.
 */
export function groupNames(
  valuesByKind: Readonly<Record<GroupKind, Iterable<string>>>,
): Record<GroupKind, Map<string, string>> {
  const names = byKind(() => new Map<string, string>());
  const candidates = GROUP_KIND_NAMES.flatMap((kind) =>
    [...new Set(valuesByKind[kind])].sort().map((value) => ({ kind, value, plain: groupName(kind, value) })),
  );
  const holders = new Map<string, number>();
  for (const { plain } of candidates) {
    holders.set(plain, (holders.get(plain) ?? 0) + 1);
  }
  const taken = new Set(BUILT_IN_GROUPS);
  const clashing: typeof candidates = [];
  // Plain names first, all of them, so that no hashed name can take one.
  for (const candidate of candidates) {
    if (holders.get(candidate.plain) === 1 && !taken.has(candidate.plain)) {
      names[candidate.kind].set(candidate.value, candidate.plain);
      taken.add(candidate.plain);
    } else {
      clashing.push(candidate);
    }
  }
  for (const { kind, value, plain } of clashing) {
    const name = hashedName(plain, value, taken);
    names[kind].set(value, name);
    taken.add(name);
  }
  return names;
}

/** Marks a string from the inventory as unsafe, so that Ansible never renders it as a template. */
function unsafe(value: string): UnsafeString {
  return { __ansible_unsafe: value };
}

/** A value as a host variable: every string unsafe, in a list too; numbers and null as they are. */
function variable(value: FeedServer[(typeof VARIABLE_FIELDS)[number]]): UnsafeString | UnsafeString[] | number | null {
  if (value === null || typeof value === 'number') {
    return value;
  }
  return Array.isArray(value) ? value.map(unsafe) : unsafe(value);
}

/** Each variable field with its variable's name, made once. */
const VARIABLES = VARIABLE_FIELDS.map((name) => [name, `server_${name}`] as const);

/** A custom field's name and its variable's name. */
type CustomVariables = readonly (readonly [string, string])[];

/** A custom value as a host variable: a string unsafe, a number or a boolean as it is. */
function customVariable(value: CustomValue): UnsafeString | number | boolean {
  return typeof value === 'string' ? unsafe(value) : value;
}

/**
 * The variables of one host: ansible_host, then `server_<field>` for each variable field, then
 * `server_cf_<name>` for each custom field the server has a value for.
 */
function hostVars(server: FeedServer, customVariables: CustomVariables): AnsibleHostVars {
  const vars: Record<string, unknown> = { ansible_host: unsafe(server.ip) };
  for (const [name, variableName] of VARIABLES) {
    vars[variableName] = variable(server[name]);
  }
  const values = server.custom_fields;
  for (const [name, variableName] of customVariables) {
    const value = values[name];
    if (value !== undefined) {
      vars[variableName] = customVariable(value);
    }
  }
  return vars as AnsibleHostVars;
}

/**
 * The Ansible inventory as JSON text (AnsibleInventory), written as the servers come, a chunk at a
 * time: start, then add for each chunk, then end. The host variables are written at once; the hosts
 * of each group are kept until the end, where the groups are named from all their values (groupNames).
 */
export interface AnsibleWriter {
  start(): string;
  /** The host variables of these servers, those with a reserved host name left out (see leftOut). */
  add(servers: readonly FeedServer[]): string;
  /** The rest of the inventory, a group at a time. */
  end(): Iterable<string>;
  /** The host names of the servers left out so far, in their order. */
  readonly leftOut: string[];
}

/**
 * The `ansible-inventory --list` format: every server is a host named by its host name, with
 * ansible_host set to its address and its fields as server_* variables (not the bare names: Ansible
 * reserves `environment` and owns `inventory_hostname`). Every string value is marked unsafe:
 * Ansible treats an inventory script's strings as trusted templates, and these come from whoever
 * may write to the inventory. Groups: status_, env_, role_, location_ and tag_ followed by the
 * value made a valid group name (see groupNames); `all` lists them as children. Servers with a
 * reserved host name (`localhost`, `all` ...) are left out: they would stand in for Ansible's own.
 * Each custom field of `definitions` a server has a value for is the variable `server_cf_<name>`,
 * in the order of the definitions; a playbook tells a field without a value by `is defined`.
 * The text is what JSON.stringify gives for the whole inventory as one object (ansibleInventory),
 * byte for byte, made a chunk of hosts at a time.
 */
export function ansibleWriter(definitions: readonly Pick<Definition, 'name'>[]): AnsibleWriter {
  const customVariables = definitions.map(({ name }) => [name, `${CUSTOM_VARIABLE_PREFIX}${name}`] as const);
  const leftOut: string[] = [];
  // The hosts of each value of each kind, in the order of the servers.
  const members = byKind(() => new Map<string, string[]>());
  let separator = '';
  return {
    leftOut,
    start: () => '{"_meta":{"hostvars":{',
    add(servers) {
      const hostvars: Record<string, AnsibleHostVars> = {};
      for (const server of servers) {
        if (isReservedHostname(server.hostname)) {
          leftOut.push(server.hostname);
          continue;
        }
        hostvars[server.hostname] = hostVars(server, customVariables);
        for (const kind of GROUP_KIND_NAMES) {
          for (const value of groupValues(server, kind)) {
            const list = members[kind].get(value);
            if (list === undefined) {
              members[kind].set(value, [server.hostname]);
            } else {
              list.push(server.hostname);
            }
          }
        }
      }
      // The chunk's hosts as members of _meta.hostvars: the object's JSON without its braces.
      const text = JSON.stringify(hostvars).slice(1, -1);
      if (text === '') {
        return '';
      }
      const added = `${separator}${text}`;
      separator = ',';
      return added;
    },
    *end() {
      const names = groupNames(byKind((kind) => members[kind].keys()));
      const groups = new Map<string, string[]>();
      for (const kind of GROUP_KIND_NAMES) {
        for (const [value, name] of names[kind]) {
          groups.set(name, members[kind].get(value) ?? []);
        }
      }
      const sorted = [...groups].sort(([a], [b]) => (a < b ? -1 : 1));
      const all = { children: ['ungrouped', ...sorted.map(([name]) => name)] };
      yield `}},"all":${JSON.stringify(all)},"ungrouped":{"hosts":[]}`;
      for (const [name, hosts] of sorted) {
        yield `,${JSON.stringify(name)}:${JSON.stringify({ hosts })}`;
      }
      yield '}';
    },
  };
}

export interface AnsibleFeed {
  inventory: AnsibleInventory;
  /** Servers left out because their host names are reserved (stored before the rule existed). */
  leftOut: string[];
}

/** The inventory of these servers (see ansibleWriter) as an object, as the feed's JSON reads. */
export function ansibleInventory(
  servers: readonly FeedServer[],
  definitions: readonly Pick<Definition, 'name'>[],
): AnsibleFeed {
  const writer = ansibleWriter(definitions);
  const text = `${writer.start()}${writer.add(servers)}${[...writer.end()].join('')}`;
  return { inventory: JSON.parse(text) as AnsibleInventory, leftOut: writer.leftOut };
}
