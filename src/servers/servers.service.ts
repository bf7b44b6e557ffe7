import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { appError } from '../errors.js';
import { toServer } from './servers.mapper.js';
import * as repository from './servers.repository.js';
import type { Server, ServerList } from './servers.schemas.js';

export interface ServersService {
  getServer(id: number): Promise<Server>;
  listServers(): Promise<ServerList>;
}

export function createServersService(db: Kysely<Database>): ServersService {
  return {
    async getServer(id) {
      const row = await repository.findServerById(db, id);
      if (row === undefined) {
        throw appError('SERVER_NOT_FOUND');
      }
      return toServer(row);
    },

    async listServers() {
      // One transaction, so that the page and the count describe the same moment.
      return db.transaction().execute(async (trx) => {
        const rows = await repository.listServers(trx);
        const count = await repository.countServers(trx);
        return { servers: rows.map(toServer), count };
      });
    },
  };
}
