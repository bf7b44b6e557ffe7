// npm run build:bundle: the runtime payload of the image, in build/app/ (see scripts/payload.ts).
import { join } from 'node:path';
import { PAYLOAD_DIR, ROOT, assemblePayload, hostPrebuildTarget, listFiles, totalSize } from './payload.js';

const outDir = join(ROOT, PAYLOAD_DIR);
const target = hostPrebuildTarget();
await assemblePayload(outDir, target);
const files = listFiles(outDir);
process.stdout.write(
  `${PAYLOAD_DIR}/: ${files.length} files, ${(totalSize(outDir) / 1024 / 1024).toFixed(1)} MiB, SQLite binary for ${target}\n`,
);
