import { Ajv2020 } from 'ajv/dist/2020.js';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupName } from '../../src/integrations/ansible.js';
import { insertServers } from '../../src/servers/servers.repository.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { defineFields } from '../helpers/custom-fields.js';
import { dereference, fetchDocument } from '../helpers/openapi.js';
import { serverRow } from '../helpers/servers.js';

/** No overload protection: the apps other tests build beside it hold the event loop for a second at times. */
const CALM = { MAX_EVENT_LOOP_DELAY_MS: '0' };

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: CALM });
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/servers',
    headers: AS_BOOTSTRAP,
    payload: [
      { hostname: 'cache-01', ip: 'fd00::1', role: 'cache', location: 'eu-west-1a', tags: ['redis', 'pci.dss'] },
      { hostname: 'old-01', ip: '10.9.9.9', status: 'decommissioned', environment: 'Prod EU' },
    ],
  });
});
afterAll(async () => {
  await t.app.close();
});

interface Inventory {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  all: { children: string[] };
  [group: string]: unknown;
}
interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

describe('GET /api/v1/integrations/ansible', () => {
  it('lists hosts with ansible_host and server_* variables, grouped by environment, role, location, status and tag', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible' });
    expect(res.statusCode).toBe(200);
    const inventory = res.json<Inventory>();
    expect(Object.keys(inventory._meta.hostvars)).toStrictEqual(['web-prod-01', 'db-prod-01', 'cache-01', 'old-01']);
    expect(inventory._meta.hostvars['cache-01']).toStrictEqual({
      ansible_host: { __ansible_unsafe: 'fd00::1' },
      server_id: 3,
      server_ip: { __ansible_unsafe: 'fd00::1' },
      server_status: { __ansible_unsafe: 'up' },
      server_environment: null,
      server_role: { __ansible_unsafe: 'cache' },
      server_location: { __ansible_unsafe: 'eu-west-1a' },
      server_os: null,
      server_tags: [{ __ansible_unsafe: 'redis' }, { __ansible_unsafe: 'pci.dss' }],
      server_notes: null,
      server_managed_by: null,
    });
    expect(inventory.all.children).toStrictEqual([
      'ungrouped',
      'env_prod_eu',
      'env_production',
      'location_eu_west_1a',
      'role_cache',
      'role_database',
      'role_web',
      'status_decommissioned',
      'status_down',
      'status_up',
      'tag_pci_dss',
      'tag_redis',
    ]);
    expect(inventory.env_production).toStrictEqual({ hosts: ['web-prod-01', 'db-prod-01'] });
    expect(inventory.status_up).toStrictEqual({ hosts: ['web-prod-01', 'cache-01'] });
    for (const name of inventory.all.children) {
      expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
    }
  });

  it('keeps apart values that would make the same group name', async () => {
    const { app } = await buildTestApp({ seed: false });
    await app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: [
        { hostname: 'a', ip: '10.0.0.1', role: 'web-app' },
        { hostname: 'b', ip: '10.0.0.2', role: 'web_app' },
        { hostname: 'c', ip: '10.0.0.3', role: 'cache' },
      ],
    });
    const inventory = (await app.inject({ method: 'GET', url: '/api/v1/integrations/ansible' })).json<Inventory>();
    const roleGroups = inventory.all.children.filter((name) => name.startsWith('role_'));
    expect(roleGroups).toHaveLength(3);
    expect(roleGroups).toContain('role_cache');
    const webGroups = roleGroups.filter((name) => name.startsWith('role_web_app_'));
    expect(webGroups).toHaveLength(2);
    expect(webGroups.map((name) => inventory[name])).toEqual(
      expect.arrayContaining([{ hosts: ['a'] }, { hosts: ['b'] }]),
    );
    await app.close();
  });

  it('leaves out a stored server with a reserved host name, and logs it once for the request', async () => {
    const { app, db, logs } = await buildTestApp({ seed: false });
    await app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'cache-01', ip: '10.0.0.1', role: 'cache' },
    });
    // Written before the rule existed: the API refuses these names now, the store does not.
    await insertServers(db, [
      serverRow({ hostname: 'localhost', ip: '10.0.0.2', role: 'cache' }),
      serverRow({ hostname: 'all', ip: '10.0.0.3', role: 'only-all' }),
    ]);
    const res = await app.inject({ method: 'GET', url: '/api/v1/integrations/ansible' });
    expect(res.statusCode).toBe(200);
    const inventory = res.json<Inventory>();
    expect(Object.keys(inventory._meta.hostvars)).toStrictEqual(['cache-01']);
    expect(inventory.all.children).toStrictEqual(['ungrouped', 'role_cache', 'status_up']);
    expect(inventory.role_cache).toStrictEqual({ hosts: ['cache-01'] });
    expect(inventory.status_up).toStrictEqual({ hosts: ['cache-01'] });
    const warnings = logs.entries().filter((entry) => entry.level === 40);
    expect(warnings).toMatchObject([
      {
        msg: 'servers with a reserved host name are left out of the Ansible inventory',
        hostnames: ['localhost', 'all'],
      },
    ]);
    await app.close();
  });

  it('makes values valid group names', () => {
    expect(groupName('env', 'Prod EU-1')).toBe('env_prod_eu_1');
    expect(groupName('tag', '1.x')).toBe('tag_1_x');
  });

  it('honours the list filters', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible?role=cache' });
    expect(Object.keys(res.json<Inventory>()._meta.hostvars)).toStrictEqual(['cache-01']);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible?rol=cache' });
    expect(bad.statusCode).toBe(400);
  });
});

describe('GET /api/v1/integrations/prometheus', () => {
  it('gives one target group per server, IPv6 in brackets, without decommissioned servers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/prometheus' });
    expect(res.statusCode).toBe(200);
    const groups = res.json<TargetGroup[]>();
    expect(groups.map((g) => g.targets)).toStrictEqual([['10.0.0.1:9100'], ['10.0.0.2:9100'], ['[fd00::1]:9100']]);
    expect(groups[2]?.labels).toStrictEqual({
      __meta_inventory_id: '3',
      __meta_inventory_hostname: 'cache-01',
      __meta_inventory_status: 'up',
      __meta_inventory_environment: '',
      __meta_inventory_role: 'cache',
      __meta_inventory_location: 'eu-west-1a',
      __meta_inventory_os: '',
      __meta_inventory_tags: ',redis,pci.dss,',
      __meta_inventory_managed_by: '',
    });
  });

  it('takes the port and the list filters, and includes decommissioned servers when the status filter asks', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/integrations/prometheus?port=9182&status=decommissioned,down',
    });
    expect(res.json<TargetGroup[]>().map((g) => g.targets[0])).toStrictEqual(['10.0.0.2:9182', '10.9.9.9:9182']);
    for (const query of ['?port=0', '?port=65536', '?port=x', '?cidr=nope']) {
      const bad = await t.app.inject({ method: 'GET', url: `/api/v1/integrations/prometheus${query}` });
      expect(bad.statusCode, query).toBe(400);
    }
  });
});

describe('feed ETags', () => {
  it.each(['/api/v1/integrations/ansible', '/api/v1/integrations/prometheus'])(
    '%s carries a strong ETag, answers 304 to it, and changes it when the inventory changes',
    async (url) => {
      const first = await t.app.inject({ method: 'GET', url });
      const etag = String(first.headers.etag);
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const again = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      const stale = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': '"stale"' } });
      expect(stale.statusCode).toBe(200);

      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/servers/1',
        headers: AS_BOOTSTRAP,
        payload: { role: `role-${Date.now()}` },
      });
      const changed = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
      expect(changed.statusCode).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);
    },
  );
});

describe('custom fields in the feeds', () => {
  let c: TestApp;
  beforeAll(async () => {
    c = await buildTestApp({ seed: false, env: CALM });
    // Defined in an order that is not the order of their names.
    await defineFields(c.app, [
      { name: 'rack', type: 'string' },
      { name: 'u', type: 'integer' },
      { name: 'backup', type: 'boolean' },
      { name: 'weight', type: 'number' },
      { name: 'policy', type: 'enum', choices: ['daily', 'weekly'] },
    ]);
    const created = await c.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: [
        {
          hostname: 'full',
          ip: '10.0.0.1',
          custom_fields: { policy: 'daily', weight: 0.5, backup: false, u: -2, rack: '{{ lookup("pipe", "id") }}' },
        },
        { hostname: 'bare', ip: '10.0.0.2' },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
  });
  afterAll(async () => {
    await c.app.close();
  });

  it('gives Ansible server_cf_<name> for each value a host has, strings unsafe, in definition order', async () => {
    const res = await c.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible' });
    expect(res.statusCode).toBe(200);
    const { full, bare } = res.json<Inventory>()._meta.hostvars;
    const custom = (vars: Record<string, unknown> | undefined) =>
      Object.entries(vars ?? {}).filter(([name]) => name.startsWith('server_cf_'));
    expect(custom(full)).toStrictEqual([
      ['server_cf_rack', { __ansible_unsafe: '{{ lookup("pipe", "id") }}' }],
      ['server_cf_u', -2],
      ['server_cf_backup', false],
      ['server_cf_weight', 0.5],
      ['server_cf_policy', { __ansible_unsafe: 'daily' }],
    ]);
    // No value, no variable: a playbook tells it by `is defined`.
    expect(custom(bare)).toStrictEqual([]);
    expect(bare).toHaveProperty('server_id', 2);
  });

  it('answers an inventory with custom variables that its documented schema accepts, and no other', async () => {
    const document = dereference(await fetchDocument(c.app));
    const answer = document.paths?.['/api/v1/integrations/ansible']?.get?.responses['200'];
    const schema = (answer as OpenAPIV3_1.ResponseObject).content?.['application/json']?.schema ?? {};
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const inventory = (await c.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible' })).json<Inventory>();
    expect(validate(inventory), JSON.stringify(validate.errors)).toBe(true);
    const hostvars = inventory._meta.hostvars.full ?? {};
    for (const wrong of [
      { server_cf_rack: 'a bare string' },
      { server_cf_rack: null },
      { server_cf_Rack: 1 },
      { server_cf_: 1 },
      { server_rack: 1 },
    ]) {
      const changed = { ...inventory, _meta: { hostvars: { full: { ...hostvars, ...wrong } } } };
      expect(validate(changed), JSON.stringify(wrong)).toBe(false);
    }
  });

  it('gives Prometheus __meta_inventory_cf_<name> for each value a target has, as text', async () => {
    const res = await c.app.inject({ method: 'GET', url: '/api/v1/integrations/prometheus' });
    expect(res.statusCode).toBe(200);
    const [full, bare] = res.json<TargetGroup[]>();
    const custom = (group: TargetGroup | undefined) =>
      Object.entries(group?.labels ?? {}).filter(([name]) => name.startsWith('__meta_inventory_cf_'));
    expect(custom(full)).toStrictEqual([
      ['__meta_inventory_cf_rack', '{{ lookup("pipe", "id") }}'],
      ['__meta_inventory_cf_u', '-2'],
      ['__meta_inventory_cf_backup', 'false'],
      ['__meta_inventory_cf_weight', '0.5'],
      ['__meta_inventory_cf_policy', 'daily'],
    ]);
    expect(custom(bare)).toStrictEqual([]);
    expect(bare?.labels.__meta_inventory_hostname).toBe('bare');
  });

  it.each(['/api/v1/integrations/ansible', '/api/v1/integrations/prometheus'])(
    '%s changes its ETag when a custom value changes, and when a field is deleted',
    async (url) => {
      const first = await c.app.inject({ method: 'GET', url });
      const patched = await c.app.inject({
        method: 'PATCH',
        url: '/api/v1/servers/2',
        headers: AS_BOOTSTRAP,
        payload: { custom_fields: { rack: `R${Date.now()}` } },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      const second = await c.app.inject({
        method: 'GET',
        url,
        headers: { 'if-none-match': String(first.headers.etag) },
      });
      expect(second.statusCode).toBe(200);
      expect(second.body).toMatch(/"R\d+"/);
      const removed = await c.app.inject({
        method: 'DELETE',
        url: '/api/v1/custom-fields/rack?force=true',
        headers: AS_BOOTSTRAP,
      });
      expect(removed.statusCode, removed.body).toBe(204);
      const third = await c.app.inject({
        method: 'GET',
        url,
        headers: { 'if-none-match': String(second.headers.etag) },
      });
      expect(third.statusCode).toBe(200);
      expect(third.body).not.toContain('cf_rack');
      expect(third.body).toContain('cf_policy');
      // Defined again for the next feed's run.
      await defineFields(c.app, [{ name: 'rack', type: 'string' }]);
    },
  );
});
