import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

const TOKEN = 'durability-bootstrap-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const CLIENTS = 8;
/** The kill comes once this many creates were acknowledged, or after MAX_LOAD_MS, whichever is first. */
const MIN_ACKNOWLEDGED = 60;
const MAX_LOAD_MS = 20_000;

interface ServerBody {
  id: number;
  hostname: string;
  notes: string | null;
}
interface ChangeBody {
  server_id: number;
  action: string;
  changes: Record<string, { from: unknown; to: unknown }>;
}

/** What one client was told was committed, and what it was still waiting for when the server died. */
interface ClientLog {
  created: Map<number, string>;
  /** For each server: the last acknowledged notes, and the one in flight, if any. */
  notes: Map<number, { acked: string | null; pending: string | null }>;
}

/** Writes until the server goes away (fetch then rejects with a TypeError), or 2000 servers. */
async function client(url: string, index: number, progress: { acknowledged: number }): Promise<ClientLog> {
  const log: ClientLog = { created: new Map(), notes: new Map() };
  try {
    for (let n = 0; n < 2000; n++) {
      const hostname = `c${index}-s${n}`;
      const created = await fetch(`${url}/api/v1/servers`, {
        method: 'POST',
        headers: AUTH,
        body: JSON.stringify({ hostname, ip: `10.${index}.${n >> 8}.${n & 255}` }),
      });
      if (created.status !== 201) {
        throw new Error(`create answered ${created.status}`);
      }
      const { id } = (await created.json()) as ServerBody;
      log.created.set(id, hostname);
      progress.acknowledged++;
      const state = { acked: null as string | null, pending: null as string | null };
      log.notes.set(id, state);
      for (let k = 0; k < 3; k++) {
        state.pending = `rev ${k}`;
        const patched = await fetch(`${url}/api/v1/servers/${id}`, {
          method: 'PATCH',
          headers: AUTH,
          body: JSON.stringify({ notes: state.pending }),
        });
        if (patched.status !== 200) {
          throw new Error(`patch answered ${patched.status}`);
        }
        state.acked = state.pending;
        state.pending = null;
      }
    }
  } catch (error) {
    // A connection error is the kill; any other failure is the test's.
    if (!(error instanceof TypeError)) {
      throw error;
    }
  }
  return log;
}

describe('durability', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inventory-durability-'));
  let server: ServerProcess | undefined;
  afterAll(async () => {
    if (server?.child.exitCode === null && server.child.signalCode === null) {
      await server.stop('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'keeps every acknowledged write, and history consistent with the data, across a SIGKILL',
    { timeout: 60_000 },
    async () => {
      const env = {
        DATABASE_URL: `sqlite:${join(dir, 'inventory.db')}`,
        INVENTORY_BOOTSTRAP_TOKEN: TOKEN,
        INVENTORY_SEED: 'false',
      };
      const first = await startServer({ env });
      server = first;
      const progress = { acknowledged: 0 };
      const running = Array.from({ length: CLIENTS }, (_, i) => client(first.url, i, progress));
      // Kill it while the clients are still writing, with requests in flight.
      const deadline = Date.now() + MAX_LOAD_MS;
      while (progress.acknowledged < MIN_ACKNOWLEDGED && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await first.stop('SIGKILL')).toBeNull();
      const logs = await Promise.all(running);

      const acknowledged = logs.reduce((sum, log) => sum + log.created.size, 0);
      expect(acknowledged).toBeGreaterThanOrEqual(MIN_ACKNOWLEDGED);

      server = await startServer({ env });
      const list = (await (await fetch(`${server.url}/api/v1/servers`)).json()) as {
        servers: ServerBody[];
        count: number;
      };
      const stored = new Map(list.servers.map((s) => [s.id, s]));

      for (const log of logs) {
        for (const [id, hostname] of log.created) {
          expect(stored.get(id)?.hostname, `server ${id}`).toBe(hostname);
          const notes = log.notes.get(id);
          if (notes !== undefined) {
            // The last acknowledged value, or the one in flight if it committed before the kill.
            const allowed = notes.pending === null ? [notes.acked] : [notes.acked, notes.pending];
            expect(allowed, `notes of server ${id}`).toContain(stored.get(id)?.notes ?? null);
          }
        }
      }

      // The history holds exactly the committed changes: one create per stored server, and the
      // notes each server ended with.
      const changes: ChangeBody[] = [];
      for (let after = 0; ;) {
        const page = (await (await fetch(`${server.url}/api/v1/changes?after=${after}&limit=1000`)).json()) as {
          changes: (ChangeBody & { seq: number })[];
        };
        if (page.changes.length === 0) {
          break;
        }
        changes.push(...page.changes);
        after = page.changes[page.changes.length - 1]?.seq ?? after;
      }
      const creates = changes.filter((c) => c.action === 'create').map((c) => c.server_id);
      expect([...creates].sort((a, b) => a - b)).toStrictEqual([...stored.keys()].sort((a, b) => a - b));
      for (const [id, row] of stored) {
        const lastNotes = changes.filter((c) => c.server_id === id && 'notes' in c.changes).at(-1);
        expect(lastNotes?.changes.notes?.to ?? null, `notes of server ${id}`).toBe(row.notes);
      }
      expect(await server.stop('SIGTERM')).toBe(0);
    },
  );
});
