import type { Server } from '../servers/servers.schemas.js';

import { createHash } from 'node:crypto';

/** An Ansible group name: lowercase letters, digits and underscores, after a prefix. */
export function groupName(prefix: string, value: string): string {
  return `${prefix}_${value.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

/**
 * Group names for every value of one kind. Where two different values would get the same name
 * ("web-app" and "web_app"), each of them gets a short hash of its own value instead, so that a
 * playbook never reaches hosts that belong to another value.
 */
function groupNames(prefix: string, values: Iterable<string>): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const value of new Set(values)) {
    const name = groupName(prefix, value);
    byName.set(name, [...(byName.get(name) ?? []), value]);
  }
  const names = new Map<string, string>();
  for (const [name, clashing] of byName) {
    for (const value of clashing) {
      const suffix = createHash('sha256').update(value).digest('hex').slice(0, 6);
      names.set(value, clashing.length === 1 ? name : `${name}_${suffix}`);
    }
  }
  return names;
}

export interface AnsibleInventory {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: unknown;
}

/**
 * The `ansible-inventory --list` format: every server is a host named by its host name, with
 * ansible_host set to its address and its fields as server_* variables (not the bare names: Ansible
 * reserves `environment` and owns `inventory_hostname`). Groups: env_, role_, location_, status_
 * and tag_ followed by the value made a valid group name; `all` lists them as children.
 */
export function ansibleInventory(servers: Server[]): AnsibleInventory {
  const groups = new Map<string, string[]>();
  const hostvars: Record<string, Record<string, unknown>> = {};
  const kinds = {
    status: groupNames(
      'status',
      servers.map((s) => s.status),
    ),
    env: groupNames(
      'env',
      servers.flatMap((s) => (s.environment === null ? [] : [s.environment])),
    ),
    role: groupNames(
      'role',
      servers.flatMap((s) => (s.role === null ? [] : [s.role])),
    ),
    location: groupNames(
      'location',
      servers.flatMap((s) => (s.location === null ? [] : [s.location])),
    ),
    tag: groupNames(
      'tag',
      servers.flatMap((s) => s.tags),
    ),
  };
  const named = (kind: keyof typeof kinds, value: string) => kinds[kind].get(value) ?? groupName(kind, value);
  const join = (group: string, host: string) => {
    const hosts = groups.get(group);
    if (hosts === undefined) {
      groups.set(group, [host]);
    } else {
      hosts.push(host);
    }
  };
  for (const server of servers) {
    hostvars[server.hostname] = {
      ansible_host: server.ip,
      server_id: server.id,
      server_ip: server.ip,
      server_status: server.status,
      server_environment: server.environment,
      server_role: server.role,
      server_location: server.location,
      server_os: server.os,
      server_tags: server.tags,
      server_notes: server.notes,
    };
    join(named('status', server.status), server.hostname);
    for (const [kind, value] of [
      ['env', server.environment],
      ['role', server.role],
      ['location', server.location],
    ] as const) {
      if (value !== null) {
        join(named(kind, value), server.hostname);
      }
    }
    for (const tag of server.tags) {
      join(named('tag', tag), server.hostname);
    }
  }
  const names = [...groups.keys()].sort();
  const inventory: AnsibleInventory = {
    _meta: { hostvars: Object.fromEntries(Object.entries(hostvars)) },
    all: { children: ['ungrouped', ...names] },
    ungrouped: { hosts: [] },
  };
  for (const name of names) {
    inventory[name] = { hosts: groups.get(name) };
  }
  return inventory;
}
