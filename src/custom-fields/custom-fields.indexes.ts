import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { isSqlite, writeTransaction } from '../db/transaction.js';
import type { Database } from '../db/types.js';
import { listDefinitions } from './custom-fields.repository.js';
import { dropValueIndex, indexName, valueIndexIds } from './custom-fields.sql.js';
import type { Definition } from './custom-fields.values.js';

// The lifecycle of a definition's index beyond its transaction. On PostgreSQL, DROP INDEX takes an
// ACCESS EXCLUSIVE lock on servers, held until commit: in the deletion's transaction every read of
// servers waited for it, the whole rewrite of a forced delete included. There the index is dropped
// after the commit, CONCURRENTLY (which no transaction may hold), waiting for reads instead of
// blocking them; nothing reads it meanwhile, as no filter or sort names a deleted field. A process
// that stops in between leaves the index behind, which the next start drops. SQLite drops it in the
// deletion's transaction: it has one writer at a time, and its readers keep their snapshot.

/**
 * Drops a deleted definition's index after the deletion committed (PostgreSQL). A failure, such as a
 * lock timeout behind a long read, is logged and leaves the index to the next start's sweep: the
 * deletion stands.
 */
export async function dropDeletedValueIndex(
  db: Kysely<Database>,
  definition: Pick<Definition, 'id' | 'name'>,
  logger?: FastifyBaseLogger,
): Promise<void> {
  try {
    await dropValueIndex(db, definition, { concurrently: true });
  } catch (err) {
    logger?.warn(
      { err, index: indexName(definition), field: definition.name },
      'could not drop the index of a deleted custom field: the next start drops it',
    );
  }
}

/** The ids of the definitions' indexes on servers whose definition is gone. */
async function orphanIds(db: Kysely<Database>): Promise<number[]> {
  // The indexes first: one made by a definition's transaction is seen only once that definition is
  // committed, so an index read before the definitions and without one is a deleted field's.
  const indexed = await valueIndexIds(db);
  if (indexed.length === 0) {
    return [];
  }
  const defined = new Set((await listDefinitions(db)).map((definition) => definition.id));
  return indexed.filter((id) => !defined.has(id));
}

/**
 * Drops the indexes named like a definition's (servers_cf_<id>_idx) whose definition is gone, as a
 * process that stopped between a deletion's commit and its index's drop leaves them; on PostgreSQL
 * in the current schema only. Run at start. Returns the names of those dropped; one that cannot be
 * is logged and left for the next start.
 */
export async function dropOrphanValueIndexes(db: Kysely<Database>, logger?: FastifyBaseLogger): Promise<string[]> {
  if (isSqlite(db)) {
    return writeTransaction(db, async (trx) => {
      const orphans = await orphanIds(trx);
      for (const id of orphans) {
        await dropValueIndex(trx, { id });
      }
      return orphans.map((id) => indexName({ id }));
    });
  }
  const dropped: string[] = [];
  for (const id of await orphanIds(db)) {
    try {
      await dropValueIndex(db, { id }, { concurrently: true });
      dropped.push(indexName({ id }));
    } catch (err) {
      logger?.warn({ err, index: indexName({ id }) }, 'could not drop the index of a deleted custom field');
    }
  }
  return dropped;
}
