import { type FieldsWith, type ObservedField, fieldsWith } from '../servers/server-fields.js';
import type { Server } from '../servers/servers.schemas.js';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The fields every target carries, with their label `__meta_inventory_<name>` (`prometheus` in src/servers/server-fields.ts). */
type LabelField = Exclude<FieldsWith<'prometheus', true>, ObservedField>;
const LABELS = (fieldsWith('prometheus') as LabelField[]).map((name) => [name, `__meta_inventory_${name}`] as const);

/** A value as a label: text; null as ''; a list Consul-style, `,a,b,` ('' when empty). */
function labelValue(value: Server[LabelField]): string {
  if (value === null) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? '' : `,${value.join(',')},`;
  }
  return String(value);
}

/**
 * Prometheus HTTP service discovery: one target group per server, `<ip>:<port>` (IPv6 in
 * brackets) with __meta_inventory_* labels, which relabelling turns into target labels. Tags are
 * joined Consul-style, `,a,b,`, so that a regex like `.*,pci,.*` matches one.
 */
export function prometheusTargets(servers: Server[], port: number): TargetGroup[] {
  return servers.map((server) => {
    const labels: Record<string, string> = {};
    // The names are made once, above: a name made per row costs more than the rest of the row.
    for (const [name, label] of LABELS) {
      labels[label] = labelValue(server[name]);
    }
    return { targets: [`${server.ip.includes(':') ? `[${server.ip}]` : server.ip}:${port}`], labels };
  });
}
