import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { toChange } from './changes.mapper.js';
import * as repository from './changes.repository.js';
import type { ChangesPage } from './changes.repository.js';
import type { ChangeList } from './changes.schemas.js';

export interface ChangesService {
  /** The whole inventory's changes in a seq range, oldest or newest first. */
  list(page: ChangesPage): Promise<ChangeList>;
  /** One server's changes, oldest first; empty if it never changed (or never existed). */
  ofServer(serverId: number): Promise<ChangeList>;
}

export function createChangesService(db: Kysely<Database>): ChangesService {
  return {
    async list(page) {
      return { changes: (await repository.listChangesPage(db, page)).map(toChange) };
    },
    async ofServer(serverId) {
      return { changes: (await repository.listServerChanges(db, serverId)).map(toChange) };
    },
  };
}
