// The check of servers' values that every write makes (POST, PUT, PATCH, apply), on the database the
// suite runs on.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readValueChecks } from '../../src/custom-fields/custom-fields.checks.js';
import type { ErrorDetail } from '../../src/errors.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
  for (const field of [
    { name: 'u', type: 'integer', minimum: 1, maximum: 48 },
    { name: 'owner', type: 'string', default: 'ops' },
  ]) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/custom-fields',
      headers: AS_BOOTSTRAP,
      payload: field,
    });
    expect(res.statusCode, res.body).toBe(201);
  }
});
afterEach(async () => {
  await t.app.close();
});

describe('readValueChecks', () => {
  it('reads the definitions, and checks values against them, naming each problem under its prefix', async () => {
    const checks = await readValueChecks(t.db);
    expect(checks.definitions.map((definition) => definition.name)).toEqual(['u', 'owner']);
    const details: ErrorDetail[] = [];
    expect(await checks.resolve({ u: 4 }, 'whole', '[0].', details)).toEqual({ owner: 'ops', u: 4 });
    expect(await checks.resolve({ u: 4 }, 'merged', '[1].', details)).toEqual({ u: 4 });
    expect(await checks.resolve({ u: 49, colour: 'red' }, 'whole', '[3].', details)).toEqual({ owner: 'ops' });
    expect(details).toEqual([
      { field: '[3].custom_fields.u', message: 'must be an integer between 1 and 48 (got 49)' },
      { field: '[3].custom_fields.colour', message: expect.stringMatching(/^is not a defined custom field/) as string },
    ]);
  });

  it('gives other work a turn of the event loop every 50 servers', async () => {
    const checks = await readValueChecks(t.db);
    let turns = 0;
    let stop = false;
    const tick = () => {
      turns += 1;
      if (!stop) {
        setImmediate(tick);
      }
    };
    setImmediate(tick);
    const details: ErrorDetail[] = [];
    for (let i = 0; i < 120; i += 1) {
      await checks.resolve({ u: 1 }, 'whole', `[${i}].`, details);
    }
    stop = true;
    // Turns before the 51st and the 101st: between them, the checks run without one.
    expect(turns).toBe(2);
    expect(details).toEqual([]);
  });
});
