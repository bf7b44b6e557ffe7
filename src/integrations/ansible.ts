import type { Server } from '../servers/servers.schemas.js';

/** An Ansible group name: letters, digits and underscores, not starting with a digit. */
export function groupName(prefix: string, value: string): string {
  return `${prefix}_${value.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
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
    join(groupName('status', server.status), server.hostname);
    for (const [prefix, value] of [
      ['env', server.environment],
      ['role', server.role],
      ['location', server.location],
    ] as const) {
      if (value !== null) {
        join(groupName(prefix, value), server.hostname);
      }
    }
    for (const tag of server.tags) {
      join(groupName('tag', tag), server.hostname);
    }
  }
  const names = [...groups.keys()].sort();
  const inventory: AnsibleInventory = {
    _meta: { hostvars },
    all: { children: ['ungrouped', ...names] },
    ungrouped: { hosts: [] },
  };
  for (const name of names) {
    inventory[name] = { hosts: groups.get(name) };
  }
  return inventory;
}
