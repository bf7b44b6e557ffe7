// The console's API types (web/src/openapi.d.ts) are generated from the API's own OpenAPI document by
// `npm run build:web`, and kept in the repository so that the lint and the typecheck of a fresh clone
// have them: this fails when the document changed and the file was not generated again.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openapiDocument } from '../../scripts/openapi/document.js';
import { generateTypes } from '../../scripts/openapi/types.js';

describe('web/src/openapi.d.ts', () => {
  it('is what the OpenAPI document generates today (npm run build:web writes it)', async () => {
    const committed = readFileSync(new URL('../../web/src/openapi.d.ts', import.meta.url), 'utf8');
    expect(committed).toContain('export interface paths');
    expect(committed === (await generateTypes(await openapiDocument()))).toBe(true);
  });
});
