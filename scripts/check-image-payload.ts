// npm run image:payload: assembles the image's runtime payload (exactly what the Dockerfile's runtime
// stage copies to /app) into an empty temporary folder, starts the server from that folder alone with
// the running Node.js, checks it over HTTP on loopback, stops it with SIGTERM and prints the size.
// Run it under Node 22 or later: the payload carries only the Node-API build of the SQLite driver.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_PACKAGE, assemblePayload, hostPrebuildTarget, listFiles, totalSize } from './payload.js';

const STARTUP_TIMEOUT_MS = 20_000;

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `node main.mjs` in `appDir` with a minimal environment: no NODE_PATH, nothing from the repository. */
async function startFrom(appDir: string, dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, ['main.mjs'], {
    cwd: appDir,
    env: { HOST: '127.0.0.1', PORT: '0', DATABASE_URL: `sqlite:${dataDir}/inventory.db` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not listen within ${STARTUP_TIMEOUT_MS} ms:\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    child.stdout.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${String(code)} before listening:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (res.status !== 200) {
    throw new Error(`GET ${url} answered ${res.status}`);
  }
  return res.json();
}

async function checkApi(url: string): Promise<number> {
  const health = await getJson(`${url}/api/v1/health`);
  if (JSON.stringify(health) !== JSON.stringify({ status: 'OK', version: '1.0' })) {
    throw new Error(`unexpected health body ${JSON.stringify(health)}`);
  }
  const list = (await getJson(`${url}/api/v1/servers`)) as { servers: { hostname: string }[]; count: number };
  const hostnames = list.servers.map((s) => s.hostname);
  if (list.count !== 2 || JSON.stringify(hostnames) !== JSON.stringify(['web-prod-01', 'db-prod-01'])) {
    throw new Error(`unexpected server list ${JSON.stringify(list)}`);
  }
  // The error path too: validation and the JSON error handler, compiled into the bundle.
  const bad = await fetch(`${url}/api/v1/servers/abc`);
  const badBody = (await bad.json()) as { code?: string };
  if (bad.status !== 400 || badBody.code !== 'VALIDATION_FAILED') {
    throw new Error(`GET /api/v1/servers/abc answered ${bad.status} ${JSON.stringify(badBody)}`);
  }
  // The documentation page and its assets come from the payload itself.
  for (const path of ['/docs', '/docs/static/swagger-ui-bundle.js']) {
    const page = await fetch(`${url}${path}`);
    await page.arrayBuffer();
    if (page.status !== 200) {
      throw new Error(`GET ${path} answered ${page.status}`);
    }
  }
  // The console too: its page, with its policy, and every asset the page names.
  const consolePage = await fetch(`${url}/servers/1`);
  const html = await consolePage.text();
  if (
    consolePage.status !== 200 ||
    !(consolePage.headers.get('content-security-policy') ?? '').includes("script-src 'self'")
  ) {
    throw new Error(`GET /servers/1 answered ${consolePage.status} without the console's policy`);
  }
  const assets = [...html.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
  if (assets.length < 2) {
    throw new Error(`the console's page names ${assets.length} assets: ${html}`);
  }
  for (const path of assets) {
    // The Brotli form, as a browser gets it (fetch decodes it).
    const asset = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'br' } });
    await asset.arrayBuffer();
    if (asset.status !== 200 || asset.headers.get('content-encoding') !== 'br') {
      throw new Error(
        `GET ${path} answered ${asset.status}, content-encoding ${String(asset.headers.get('content-encoding'))}`,
      );
    }
  }
  return list.count;
}

function checkFiles(files: string[]): void {
  const unexpected = files.filter(
    (f) =>
      !/^(main|cli)\.mjs$/.test(f) &&
      !f.startsWith(`node_modules/${SQLITE_PACKAGE}/`) &&
      // The documentation page's assets (Swagger UI), served at /docs.
      !f.startsWith('static/') &&
      // The web console: its page and its hashed assets (with their Brotli and gzip forms, sent to a
      // browser that accepts them), served at / and /ui/assets/.
      !/^ui\/(index\.html|assets\/[\w.-]+\.(js|css)(\.br|\.gz)?)$/.test(f),
  );
  if (unexpected.length > 0) {
    throw new Error(`unexpected files in the payload: ${unexpected.join(', ')}`);
  }
  const binaries = files.filter((f) => f.endsWith('.node'));
  if (binaries.length !== 1) {
    throw new Error(`expected one native binary, found ${binaries.join(', ') || 'none'}`);
  }
}

async function main(): Promise<void> {
  const nodeMajor = Number(process.versions.node.split('.', 1)[0]);
  if (nodeMajor < 22) {
    throw new Error(`it needs Node.js 22 or later (the image runs 24), this is ${process.version}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'inventory-image-'));
  const appDir = join(work, 'app');
  const target = hostPrebuildTarget();
  try {
    await assemblePayload(appDir, target);
    const files = listFiles(appDir);
    checkFiles(files);

    const server = await startFrom(appDir, join(work, 'data'));
    let count: number;
    try {
      count = await checkApi(server.url);
    } catch (error) {
      server.child.kill('SIGKILL');
      throw error;
    }
    server.child.kill('SIGTERM');
    const code = await server.exited;
    if (code !== 0) {
      throw new Error(`the server exited with ${String(code)} after SIGTERM:\n${server.output()}`);
    }

    const mib = (totalSize(appDir) / 1024 / 1024).toFixed(2);
    process.stdout.write(
      `payload: ${files.length} files, ${mib} MiB (main.mjs, cli.mjs, ${SQLITE_PACKAGE} with its ${target} binary; ` +
        `the image carries linuxmusl-${process.arch} instead)\n` +
        `Node ${process.version} served /api/v1/health, /api/v1/servers (${count} servers), a 400 and the console from the ` +
        `payload folder alone, and exited 0 on SIGTERM\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`image payload check failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
