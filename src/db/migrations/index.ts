import type { Migration } from 'kysely';
import * as m20261127180000 from './2026_11_27_180000_create_servers.js';
import * as m20261127190000 from './2026_11_27_190000_create_tokens_and_changes.js';
import * as m20261127200000 from './2026_11_27_200000_add_ip_key_tags_and_list_indexes.js';
import * as m20261127210000 from './2026_11_27_210000_create_server_counts.js';
import * as m20261127220000 from './2026_11_27_220000_use_binary_collation_on_postgres.js';
import * as m20261130030000 from './2026_11_30_030000_normalise_labels_to_nfc.js';
import * as m20261130063000 from './2026_11_30_063000_add_admin_scope_and_token_events.js';
import * as m20261130080000 from './2026_11_30_080000_add_server_ownership.js';
import * as m20261130090000 from './2026_11_30_090000_create_idempotency_keys.js';
import * as m20261130110000 from './2026_11_30_110000_create_custom_fields.js';
import * as m20261130170000 from './2026_11_30_170000_create_webhooks.js';
import * as m20261201090000 from './2026_12_01_090000_add_server_state_to_changes.js';
import * as m20261201120000 from './2026_12_01_120000_add_webhook_delivery_claim_indexes.js';
import * as m20261201130000 from './2026_12_01_130000_store_custom_values_as_jsonb_on_postgres.js';

/**
 * Every migration, by name, in order. Listed statically rather than read from the folder so that a
 * bundled build carries them; names sort in the order they run.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_27_180000_create_servers': m20261127180000,
  '2026_11_27_190000_create_tokens_and_changes': m20261127190000,
  '2026_11_27_200000_add_ip_key_tags_and_list_indexes': m20261127200000,
  '2026_11_27_210000_create_server_counts': m20261127210000,
  '2026_11_27_220000_use_binary_collation_on_postgres': m20261127220000,
  '2026_11_30_030000_normalise_labels_to_nfc': m20261130030000,
  '2026_11_30_063000_add_admin_scope_and_token_events': m20261130063000,
  '2026_11_30_080000_add_server_ownership': m20261130080000,
  '2026_11_30_090000_create_idempotency_keys': m20261130090000,
  '2026_11_30_110000_create_custom_fields': m20261130110000,
  '2026_11_30_170000_create_webhooks': m20261130170000,
  '2026_12_01_090000_add_server_state_to_changes': m20261201090000,
  '2026_12_01_120000_add_webhook_delivery_claim_indexes': m20261201120000,
  '2026_12_01_130000_store_custom_values_as_jsonb_on_postgres': m20261201130000,
};
