// The API's real refusals, through the server form's logic: each invalid value the form can send is
// sent to a real app (app.inject), and the error body it answers is mapped to the form's inputs as
// the console maps it. A change in the API's `details` that would leave a console error unplaced
// fails here, not in a browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../web/src/openapi.js';
import {
  type ErrorPlacement,
  type InputKey,
  buildCreate,
  buildPatch,
  emptyForm,
  fieldErrors,
  formFromServer,
  parseTags,
} from '../../web/src/server-form.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp, writeAsBootstrap } from '../helpers/build-test-app.js';

type ApiError = components['schemas']['Error'];
type Server = components['schemas']['Server'];

const DEFINITIONS = [
  { name: 'units', type: 'integer' },
  { name: 'rack', type: 'string' },
] as const;

describe('the API error bodies, mapped to the form inputs', () => {
  let t: TestApp;
  let server: Server;

  beforeAll(async () => {
    t = await buildTestApp({ seed: false });
    await writeAsBootstrap(t.app, 'POST', '/custom-fields', { name: 'units', type: 'integer' });
    await writeAsBootstrap(t.app, 'POST', '/custom-fields', { name: 'rack', type: 'string' });
    await writeAsBootstrap(t.app, 'POST', '/servers', { hostname: 'taken-01', ip: '10.9.0.1' });
    server = (
      await writeAsBootstrap(t.app, 'POST', '/servers', { hostname: 'form-01', ip: '10.9.0.2' })
    ).json<Server>();
  });
  afterAll(async () => {
    await t.app.close();
    await t.db.destroy();
  });

  /** PATCHes the edit of `change` over the server, as the console sends it; the status and the mapped errors. */
  async function patch(change: (form: ReturnType<typeof emptyForm>) => void, shown?: readonly InputKey[]) {
    const base = formFromServer(server);
    const form = { ...base, custom: { ...base.custom } };
    change(form);
    const body = buildPatch(base, form, DEFINITIONS);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/servers/${server.id}`,
      headers: { ...AS_BOOTSTRAP, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify(body),
    });
    const placement: ErrorPlacement = { shown, tags: body.tags ?? [] };
    const error = res.json<ApiError>();
    return { status: res.statusCode, body: error, errors: fieldErrors(error.details, placement) };
  }

  it('places a bad IP at the IP address, and a bad tag at the tags with the text of the tag its index names', async () => {
    const { status, errors } = await patch((f) => {
      f.ip = '10.9.0.300';
      f.tags = 'web, web server, db';
    });
    expect(status).toBe(400);
    expect(Object.keys(errors.byInput)).toStrictEqual(['ip', 'tags']);
    expect(errors.byInput.ip?.[0]).toMatch(/IPv4/);
    // tags[1]: the second tag sent, named by its text (a space is in it: commas alone separate tags).
    expect(errors.byInput.tags).toHaveLength(1);
    expect(errors.byInput.tags?.[0]).toMatch(/^"web server": must be 1 to 63 lowercase/);
    expect(errors.other).toStrictEqual([]);
  });

  it('places a repeated tag at the tags', async () => {
    const { status, errors } = await patch((f) => {
      f.tags = 'web, db, web';
    });
    expect(status).toBe(400);
    expect(errors.byInput).toStrictEqual({ tags: ['must not repeat a tag'] });
  });

  it("places a custom field's value of the wrong type at its input", async () => {
    const { status, errors } = await patch((f) => {
      f.custom.units = 'four';
    });
    expect(status).toBe(400);
    expect(Object.keys(errors.byInput)).toStrictEqual(['custom_fields.units']);
    expect(errors.byInput['custom_fields.units']?.[0]).toMatch(/integer/);
  });

  it('lists an error for a custom field the form does not show in the summary, not at a missing input', async () => {
    // A field defined after the form loaded its definitions, or removed since: no input for it.
    const { status, body, errors } = await patch(
      (f) => {
        f.custom.nope = 'x';
      },
      ['hostname', 'ip', 'custom_fields.units', 'custom_fields.rack'],
    );
    expect(status).toBe(400);
    expect(body.details).toHaveLength(1);
    expect(body.details?.[0]?.field).toMatch(/^custom_fields\.nope/);
    expect(errors.byInput).toStrictEqual({});
    expect(errors.other).toStrictEqual(body.details);
  });

  it('places a host name another server has (409) at the host name', async () => {
    const { status, body, errors } = await patch((f) => {
      f.hostname = 'taken-01';
    });
    expect(status).toBe(409);
    expect(body.code).toBe('SERVER_CONFLICT');
    expect(Object.keys(errors.byInput)).toStrictEqual(['hostname']);
    expect(errors.byInput.hostname?.[0]).toMatch(/already used/);
  });

  it('places the refusals of a create (POST) the same way', async () => {
    const form = { ...emptyForm(), hostname: 'taken-01', ip: '10.9.0.9', tags: 'ok, No Way', custom: { units: '1.5' } };
    const body = buildCreate(form, DEFINITIONS);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: body as object,
    });
    expect(res.statusCode).toBe(400);
    const errors = fieldErrors(res.json<ApiError>().details, { tags: parseTags(form.tags) });
    expect(errors.byInput.tags).toStrictEqual([expect.stringMatching(/^"No Way": /)]);
    expect(errors.other).toStrictEqual([]);
  });
});
