import type { FastifyInstance } from 'fastify';
import { AS_BOOTSTRAP } from './build-test-app.js';

/**
 * A definition of every type, with every rule a type takes: required ones with a default (so that
 * an inventory with servers takes them), a pattern ECMAScript reads and one only RE2 does.
 */
export const EVERY_TYPE = [
  {
    name: 'rack',
    type: 'string',
    description: 'The rack, as the floor plan names it',
    required: true,
    default: 'R1',
    pattern: '^R[0-9]+$',
    max_length: 8,
  },
  { name: 'asset_tag', type: 'string', pattern: '(?i)^inv-' },
  { name: 'u', type: 'integer', minimum: 1, maximum: 48 },
  { name: 'load', type: 'number', minimum: 0 },
  { name: 'monitored', type: 'boolean', required: true, default: true },
  { name: 'bought', type: 'date' },
  { name: 'audited', type: 'datetime' },
  { name: 'runbook', type: 'url' },
  { name: 'tier', type: 'enum', choices: ['gold', 'silver'], default: 'silver' },
] as const;

/** Defines these custom fields (POST /api/v1/custom-fields), in order; throws unless each is created. */
export async function defineFields(app: FastifyInstance, definitions: readonly object[]): Promise<void> {
  for (const definition of definitions) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/custom-fields',
      headers: AS_BOOTSTRAP,
      payload: definition,
    });
    if (res.statusCode !== 201) {
      throw new Error(`defining ${JSON.stringify(definition)} answered ${res.statusCode}: ${res.body}`);
    }
  }
}
