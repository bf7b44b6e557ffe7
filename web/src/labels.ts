import type { MessageKey } from './i18n/messages.js';
import type { Status } from './list-state.js';

export const STATUS_KEYS = {
  up: 'status.up',
  down: 'status.down',
  maintenance: 'status.maintenance',
  decommissioned: 'status.decommissioned',
} as const satisfies Record<Status, MessageKey>;

/** The label of each field of a server, by its name in the API. */
export const FIELD_KEYS = {
  id: 'field.id',
  hostname: 'field.hostname',
  ip: 'field.ip',
  status: 'field.status',
  environment: 'field.environment',
  role: 'field.role',
  location: 'field.location',
  os: 'field.os',
  tags: 'field.tags',
  notes: 'field.notes',
  managed_by: 'field.managed_by',
  last_seen_at: 'field.last_seen_at',
  custom_fields: 'field.custom_fields',
  created_at: 'field.created_at',
  updated_at: 'field.updated_at',
} as const satisfies Record<string, MessageKey>;

export type FieldName = keyof typeof FIELD_KEYS;

export function isFieldName(name: string): name is FieldName {
  return Object.hasOwn(FIELD_KEYS, name);
}
