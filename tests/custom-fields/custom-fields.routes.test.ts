// Custom-field definitions over HTTP, and the values servers hold, on the database the suite runs on.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeList } from '../../src/changes/changes.schemas.js';
import type { ErrorResponse } from '../../src/shared/schemas.js';
import type { Server } from '../../src/servers/servers.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-return -- vitest types an asymmetric matcher as any
const stringMatching = (pattern: RegExp): string => expect.stringMatching(pattern);

describe('custom fields', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(async () => {
    await t.app.close();
  });

  const define = (body: object) =>
    t.app.inject({ method: 'POST', url: '/api/v1/custom-fields', headers: AS_BOOTSTRAP, payload: body });
  const patchServer = (id: number, body: object) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/servers/${id}`, headers: AS_BOOTSTRAP, payload: body });

  it('defines a field, takes valid values, refuses invalid ones naming custom_fields.<name>', async () => {
    const created = await define({ name: 'rack', type: 'string', pattern: '^R[0-9]+$' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'rack', type: 'string', required: false, pattern: '^R[0-9]+$' });
    expect(created.headers.location).toBe('/api/v1/custom-fields/rack');

    const ok = await patchServer(1, { custom_fields: { rack: 'R12' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<Server>().custom_fields).toEqual({ rack: 'R12' });

    const bad = await patchServer(1, { custom_fields: { rack: 'X1', u: 3 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorResponse>().details).toEqual([
      { field: 'custom_fields.rack', message: stringMatching(/^must be a string .*"\^R\[0-9\]\+\$".*\(got "X1"\)$/) },
      { field: 'custom_fields.u', message: stringMatching(/^is not a defined custom field/) },
    ]);

    const history = await t.app.inject({ url: '/api/v1/servers/1/history', headers: AS_BOOTSTRAP });
    expect(history.json<ChangeList>().changes.at(-1)?.changes).toEqual({
      'custom_fields.rack': { from: null, to: 'R12' },
    });
  });
});
