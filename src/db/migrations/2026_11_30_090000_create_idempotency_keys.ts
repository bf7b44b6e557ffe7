import type { Kysely } from 'kysely';

// Frozen in time: this file must not import from the application.

/**
 * The Idempotency-Key store: one row per token and key, claimed before a create runs ("in flight":
 * completed_at null) and given the answer in the create's own transaction. Rows live 24 hours.
 * Timestamps are RFC 3339 UTC strings of fixed width, as elsewhere, so they compare as text.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    // The token's name: a key belongs to one token (names are never reused).
    .addColumn('token', 'varchar(64)', (col) => col.notNull())
    .addColumn('key', 'varchar(255)', (col) => col.notNull())
    // SHA-256 (hex) of the request body in canonical JSON; the body itself is not kept.
    .addColumn('fingerprint', 'varchar(64)', (col) => col.notNull())
    // A random id of the request holding the claim: only it may store the answer or release the key.
    .addColumn('owner', 'varchar(36)', (col) => col.notNull())
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('completed_at', 'varchar(32)')
    .addColumn('response_status', 'integer')
    // JSON: the answer's headers (Location, ETag) and its body.
    .addColumn('response_headers', 'text')
    .addColumn('response_body', 'text')
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['token', 'key'])
    .execute();
  // The purge of expired rows looks for the oldest.
  await db.schema.createIndex('idempotency_keys_created_at_idx').on('idempotency_keys').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
}
