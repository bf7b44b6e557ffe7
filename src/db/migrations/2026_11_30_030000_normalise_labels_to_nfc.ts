import type { Kysely } from 'kysely';

// Frozen in time: no imports from the application.

const LABELS = ['environment', 'role', 'location', 'os'] as const;
const BATCH = 1000;
const MAX_LENGTH = 64;

/**
 * Labels are stored in Unicode NFC from this version on, and filters are normalised to NFC: a label
 * written earlier in another form (`café` as `e` + U+0301) would no longer be found by any filter.
 * This rewrites such labels in NFC, which is the same text (canonically equivalent), so nothing a
 * person sees changes; history rows keep what was written then. A label whose NFC form would not fit
 * the column (64 characters; a handful of characters grow under NFC) is left as it is.
 */
export async function up(db: Kysely<any>): Promise<void> {
  let after = 0;
  for (;;) {
    const rows = (await db
      .selectFrom('servers')
      .select(['id', ...LABELS])
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute()) as ({ id: number } & Record<(typeof LABELS)[number], string | null>)[];
    for (const row of rows) {
      const changes: Record<string, string> = {};
      for (const column of LABELS) {
        const value = row[column];
        if (value === null) {
          continue;
        }
        // PostgreSQL's varchar(64) counts code points.
        const normal = value.normalize('NFC');
        if (normal !== value && Array.from(normal).length <= MAX_LENGTH) {
          changes[column] = normal;
        }
      }
      if (Object.keys(changes).length > 0) {
        await db.updateTable('servers').set(changes).where('id', '=', row.id).execute();
      }
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < BATCH) {
      return;
    }
    after = last.id;
  }
}

/** NFC is the same text: there is nothing to undo. */
export async function down(): Promise<void> {
  // Nothing to do.
}
