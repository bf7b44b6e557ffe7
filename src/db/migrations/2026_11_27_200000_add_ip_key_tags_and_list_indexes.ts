import { isIPv4 } from 'node:net';
import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must not import from the application, so it carries its own copy of
// the address-key encoding (src/servers/ip-key.ts).

function ipKey(canonical: string): Buffer {
  if (isIPv4(canonical)) {
    return Buffer.from([4, ...canonical.split('.').map(Number)]);
  }
  if (canonical.includes('.') || canonical.split('::').length > 2) {
    throw new Error(`not a canonical address: ${canonical}`);
  }
  const [head = '', tail] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  const bytes = Buffer.alloc(17);
  bytes[0] = 6;
  [...left, ...zeros, ...right].forEach((group, i) => {
    const value = parseInt(group, 16);
    if (!/^[0-9a-f]{1,4}$/.test(group) || Number.isNaN(value)) {
      throw new Error(`not a canonical address: ${canonical}`);
    }
    bytes.writeUInt16BE(value, 1 + i * 2);
  });
  return bytes;
}

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  // The address as bytes that sort like the address: numeric IP order and CIDR ranges by index.
  await db.schema
    .alterTable('servers')
    .addColumn('ip_key', postgres ? 'bytea' : 'blob')
    .execute();
  const servers = (await db.selectFrom('servers').select(['id', 'ip', 'tags']).execute()) as {
    id: number;
    ip: string;
    tags: string;
  }[];
  for (const server of servers) {
    await db
      .updateTable('servers')
      .set({ ip_key: ipKey(server.ip) })
      .where('id', '=', server.id)
      .execute();
  }
  if (postgres) {
    await db.schema
      .alterTable('servers')
      .alterColumn('ip_key', (col) => col.setNotNull())
      .execute();
  }
  await db.schema.createIndex('servers_ip_key_key').unique().on('servers').column('ip_key').execute();

  // One row per tag, so that "has every one of these tags" is an indexed lookup on any database.
  await db.schema
    .createTable('server_tags')
    .addColumn('server_id', 'integer', (col) => col.notNull().references('servers.id').onDelete('cascade'))
    .addColumn('tag', 'varchar(63)', (col) => col.notNull())
    .addPrimaryKeyConstraint('server_tags_pkey', ['server_id', 'tag'])
    .execute();
  await db.schema
    .createIndex('server_tags_tag_server_id_idx')
    .on('server_tags')
    .columns(['tag', 'server_id'])
    .execute();
  for (const server of servers) {
    const tags = JSON.parse(server.tags) as string[];
    if (tags.length > 0) {
      await db
        .insertInto('server_tags')
        .values(tags.map((tag) => ({ server_id: server.id, tag })))
        .execute();
    }
  }

  for (const column of ['status', 'environment', 'role', 'location', 'os', 'created_at', 'updated_at']) {
    await db.schema.createIndex(`servers_${column}_id_idx`).on('servers').columns([column, 'id']).execute();
  }
  // The list sorts environments with the missing ones as '' (first): an index on that expression
  // lets such a sort, and its cursors, read in order instead of sorting the table.
  await db.schema
    .createIndex('servers_environment_sort_idx')
    .on('servers')
    .expression(sql`coalesce(environment, ''), id`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('servers_environment_sort_idx').execute();
  for (const column of ['status', 'environment', 'role', 'location', 'os', 'created_at', 'updated_at']) {
    await db.schema.dropIndex(`servers_${column}_id_idx`).execute();
  }
  await db.schema.dropTable('server_tags').execute();
  await db.schema.dropIndex('servers_ip_key_key').execute();
  await db.schema.alterTable('servers').dropColumn('ip_key').execute();
}
