import { type Definition, valueAsText } from '../custom-fields/custom-fields.values.js';
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
 * joined Consul-style, `,a,b,`, so that a regex like `.*,pci,.*` matches one. Each custom field of
 * `definitions` the server has a value for adds `__meta_inventory_cf_<name>`, the value as text (a
 * field without a value has no label, which a relabel rule reads as ''). Custom field names are
 * valid label names: lowercase letters, digits and underscores, starting with a letter.
 */
export function prometheusTargets(
  servers: Server[],
  port: number,
  definitions: readonly Pick<Definition, 'name'>[],
): TargetGroup[] {
  // The names are made once: a name made per row costs more than the rest of the row.
  const customLabels = definitions.map(({ name }) => [name, `__meta_inventory_cf_${name}`] as const);
  return servers.map((server) => {
    const labels: Record<string, string> = {};
    for (const [name, label] of LABELS) {
      labels[label] = labelValue(server[name]);
    }
    for (const [name, label] of customLabels) {
      const value = server.custom_fields[name];
      if (value !== undefined) {
        labels[label] = valueAsText(value);
      }
    }
    return { targets: [`${server.ip.includes(':') ? `[${server.ip}]` : server.ip}:${port}`], labels };
  });
}
