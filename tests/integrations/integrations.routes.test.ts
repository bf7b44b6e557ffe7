import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupName } from '../../src/integrations/ansible.js';
import { insertServers } from '../../src/servers/servers.repository.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { serverRow } from '../helpers/servers.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
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
