import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** The `servers` table. Timestamps are RFC 3339 UTC strings of fixed width, so they sort as text. */
export interface ServersTable {
  id: Generated<number>;
  hostname: string;
  ip: string;
  status: string;
  environment: string | null;
  role: string | null;
  location: string | null;
  os: string | null;
  /** A JSON array of strings. */
  tags: string;
  notes: string | null;
  created_at: string;
  updated_at: string;
}

/** Facts about the database itself, such as whether it has been initialised. */
export interface InventoryMetaTable {
  key: string;
  value: string;
}

export interface Database {
  servers: ServersTable;
  inventory_meta: InventoryMetaTable;
}

export type ServerRow = Selectable<ServersTable>;
export type NewServerRow = Insertable<ServersTable>;
export type ServerRowUpdate = Updateable<ServersTable>;
