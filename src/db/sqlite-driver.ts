import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);
const nodeMajor = Number(process.versions.node.split('.', 1)[0]);

/**
 * The better-sqlite3 build for the running Node.js. Version 12 wraps its objects with Node's own
 * ObjectWrap, and from Node 24.19 on, the garbage collector finalising one of its statements can
 * abort the process (`RemoveEnvironmentCleanupHook: (env) != nullptr`). Version 13 moved to
 * Node-API and does not, but it needs Node 22 and crashes on 20. So Node 20 loads 12 and later
 * versions load 13 (installed under the alias `better-sqlite3-napi`): one API, one SQLite file format.
 */
export const SQLite = (
  nodeMajor >= 22 ? require('better-sqlite3-napi') : require('better-sqlite3')
) as typeof BetterSqlite3;

/** Which of the two packages was loaded, for diagnostics. */
export const sqliteDriverPackage = nodeMajor >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';
