import type { Server } from '../servers/servers.schemas.js';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/**
 * Prometheus HTTP service discovery: one target group per server, `<ip>:<port>` (IPv6 in
 * brackets) with __meta_inventory_* labels, which relabelling turns into target labels. Tags are
 * joined Consul-style, `,a,b,`, so that a regex like `.*,pci,.*` matches one.
 */
export function prometheusTargets(servers: Server[], port: number): TargetGroup[] {
  return servers.map((server) => ({
    targets: [`${server.ip.includes(':') ? `[${server.ip}]` : server.ip}:${port}`],
    labels: {
      __meta_inventory_id: String(server.id),
      __meta_inventory_hostname: server.hostname,
      __meta_inventory_status: server.status,
      __meta_inventory_environment: server.environment ?? '',
      __meta_inventory_role: server.role ?? '',
      __meta_inventory_location: server.location ?? '',
      __meta_inventory_os: server.os ?? '',
      __meta_inventory_tags: server.tags.length === 0 ? '' : `,${server.tags.join(',')},`,
    },
  }));
}
