import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CUSTOM_FIELD_NAME_PATTERN } from '../../src/custom-fields/custom-fields.schemas.js';
import { prometheusTargets } from '../../src/integrations/prometheus.js';
import { defaultValues } from '../../src/servers/server-fields.js';
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

const customLabels = (labels: Record<string, string> = {}) =>
  Object.entries(labels).filter(([name]) => name.startsWith('__meta_inventory_cf_'));

describe('prometheusTargets with custom fields', () => {
  const definitions = [{ name: 'rack' }, { name: 'u' }, { name: 'weight' }, { name: 'backup' }, { name: 'spare' }];

  it('gives each value a label __meta_inventory_cf_<name> as text, in definition order, none for a missing value', () => {
    const groups = prometheusTargets(
      [server(1, { custom_fields: { backup: false, gone: 'x', rack: '{{ x }}', u: -1, weight: 2.5 } }), server(2)],
      9100,
      definitions,
    );
    expect(customLabels(groups[0]?.labels)).toStrictEqual([
      ['__meta_inventory_cf_rack', '{{ x }}'],
      ['__meta_inventory_cf_u', '-1'],
      ['__meta_inventory_cf_weight', '2.5'],
      ['__meta_inventory_cf_backup', 'false'],
    ]);
    // No label for a field without a value, nor for a value of a field no longer defined.
    expect(customLabels(groups[1]?.labels)).toStrictEqual([]);
    expect(prometheusTargets([server(1, { custom_fields: { rack: 'R1' } })], 9100, [])[0]?.labels).not.toHaveProperty(
      '__meta_inventory_cf_rack',
    );
  });

  it('makes a valid label name of every custom field name', () => {
    fc.assert(
      fc.property(fc.stringMatching(new RegExp(CUSTOM_FIELD_NAME_PATTERN)), (name) => {
        const [group] = prometheusTargets([server(1, { custom_fields: { [name]: true } })], 9100, [{ name }]);
        expect(customLabels(group?.labels)).toStrictEqual([[`__meta_inventory_cf_${name}`, 'true']]);
        expect(`__meta_inventory_cf_${name}`).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
      }),
    );
  });
});
