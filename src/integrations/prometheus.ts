import { type Definition, valueAsText } from '../custom-fields/custom-fields.values.js';
import { type FieldsWith, type ObservedField, fieldsWith } from '../servers/server-fields.js';
import type { FeedServer } from '../servers/servers.mapper.js';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The fields every target carries, with their label `__meta_inventory_<name>` (`prometheus` in src/servers/server-fields.ts). */
type LabelField = Exclude<FieldsWith<'prometheus', true>, ObservedField>;
const LABELS = (fieldsWith('prometheus') as LabelField[]).map((name) => [name, `__meta_inventory_${name}`] as const);

/** A value as a label: text; null as ''; a list Consul-style, `,a,b,` ('' when empty). */
function labelValue(value: FeedServer[LabelField]): string {
  if (value === null) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? '' : `,${value.join(',')},`;
  }
  return String(value);
}

/**
 * The target groups as JSON text (TargetGroup[]), written as the servers come, a chunk at a time:
 * start, then add for each chunk, then end.
 */
export interface PrometheusWriter {
  start(): string;
  add(servers: readonly FeedServer[]): string;
  end(): Iterable<string>;
}

/**
 * Prometheus HTTP service discovery: one target group per server, `<ip>:<port>` (IPv6 in
 * brackets) with __meta_inventory_* labels, which relabelling turns into target labels. Tags are
 * joined Consul-style, `,a,b,`, so that a regex like `.*,pci,.*` matches one. Each custom field of
 * `definitions` the server has a value for adds `__meta_inventory_cf_<name>`, the value as text (a
 * field without a value has no label, which a relabel rule reads as ''). Custom field names are
 * valid label names: lowercase letters, digits and underscores, starting with a letter. The text is
 * what JSON.stringify gives for all the groups as one array (prometheusTargets), byte for byte, made a
 * chunk of servers at a time.
 */
export function prometheusWriter(port: number, definitions: readonly Pick<Definition, 'name'>[]): PrometheusWriter {
  // The names are made once: a name made per row costs more than the rest of the row.
  const customLabels = definitions.map(({ name }) => [name, `__meta_inventory_cf_${name}`] as const);
  let separator = '';
  return {
    start: () => '[',
    add(servers) {
      const groups = servers.map((server): TargetGroup => {
        const labels: Record<string, string> = {};
        for (const [name, label] of LABELS) {
          labels[label] = labelValue(server[name]);
        }
        const values = server.custom_fields;
        for (const [name, label] of customLabels) {
          const value = values[name];
          if (value !== undefined) {
            labels[label] = valueAsText(value);
          }
        }
        return { targets: [`${server.ip.includes(':') ? `[${server.ip}]` : server.ip}:${port}`], labels };
      });
      // The chunk's groups as items of the array: its JSON without the brackets.
      const text = JSON.stringify(groups).slice(1, -1);
      if (text === '') {
        return '';
      }
      const added = `${separator}${text}`;
      separator = ',';
      return added;
    },
    end: () => [']'],
  };
}

/** The target groups of these servers (see prometheusWriter) as objects, as the feed's JSON reads. */
export function prometheusTargets(
  servers: readonly FeedServer[],
  port: number,
  definitions: readonly Pick<Definition, 'name'>[],
): TargetGroup[] {
  const writer = prometheusWriter(port, definitions);
  return JSON.parse(`${writer.start()}${writer.add(servers)}${[...writer.end()].join('')}`) as TargetGroup[];
}
