// The scopes, table-driven from the OpenAPI document: every operation declares the scope it needs
// (`x-required-scope`, or none for an open one) and the server enforces exactly that, for every caller.
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_SCOPES, type TokenScope } from '../../src/tokens/tokens.schemas.js';
import { createTokensService } from '../../src/tokens/tokens.service.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { injectOperation } from '../helpers/inject.js';

type Operation = OpenAPIV3_1.OperationObject & { 'x-required-scope'?: TokenScope };
type Caller = 'anonymous' | TokenScope;
const CALLERS: Caller[] = ['anonymous', ...TOKEN_SCOPES];
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The operations that need no token at all: the probes and the document itself. */
const OPEN = ['getHealth', 'getOpenApiDocument', 'getReadiness'];

function operationsOf(document: OpenAPIV3_1.Document) {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item?.[method] as Operation | undefined;
      return operation === undefined ? [] : [{ method, path, operation }];
    }),
  );
}

/** What the document says of a caller: allowed through the auth check, or refused with this status. */
function expected(operation: Operation, caller: Caller): 'allowed' | 401 | 403 {
  const scope = operation['x-required-scope'];
  if (scope === undefined) {
    return 'allowed';
  }
  if (caller === 'anonymous') {
    // An empty requirement in `security` is the document's way of saying that no token is needed.
    return (operation.security ?? []).some((requirement) => Object.keys(requirement).length === 0) ? 'allowed' : 401;
  }
  return TOKEN_SCOPES.indexOf(caller) >= TOKEN_SCOPES.indexOf(scope) ? 'allowed' : 403;
}

describe.each([
  ['reads open (the default)', 'false'],
  ['INVENTORY_AUTH_READS=true', 'true'],
])('the scopes, %s', (_name, authReads) => {
  let t: TestApp;
  let document: OpenAPIV3_1.Document;
  const secrets = new Map<Caller, string>();

  beforeAll(async () => {
    t = await buildTestApp({ env: { INVENTORY_AUTH_READS: authReads } });
    const tokens = createTokensService(t.db);
    for (const scope of TOKEN_SCOPES) {
      secrets.set(scope, (await tokens.create({ name: `caller-${scope}`, scope })).secret);
    }
    await tokens.create({ name: 'target', scope: 'read' });
    document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('are declared on every operation but the open ones, as read, write or admin', () => {
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(15);
    const open = operations.filter((o) => o.operation['x-required-scope'] === undefined);
    expect(open.map((o) => o.operation.operationId).sort()).toStrictEqual(OPEN);
    const declared = (where: (path: string, method: string) => boolean) =>
      new Set(operations.filter((o) => where(o.path, o.method)).map((o) => o.operation['x-required-scope']));
    expect(declared((path, method) => path.startsWith('/api/v1/servers') && method !== 'get')).toStrictEqual(
      new Set(['write']),
    );
    expect(declared((path) => path.startsWith('/api/v1/tokens') && !path.startsWith('/api/v1/tokens/self'))).toEqual(
      new Set(['admin']),
    );
    expect(declared((path) => path.startsWith('/api/v1/tokens/self'))).toEqual(new Set(['read']));
    // Webhooks, reads included: a subscription names a target and its log shows what the target answered.
    expect(declared((path) => path.startsWith('/api/v1/webhooks'))).toEqual(new Set(['admin']));
    const adminOnly = (path: string) => path.startsWith('/api/v1/tokens') || path.startsWith('/api/v1/webhooks');
    expect(declared((path, method) => method === 'get' && !adminOnly(path))).toEqual(new Set([undefined, 'read']));
  });

  it('say in `security` whether a token is needed', () => {
    for (const { method, path, operation } of operationsOf(document)) {
      const scope = operation['x-required-scope'];
      if (scope === undefined) {
        continue;
      }
      const anonymous = (operation.security ?? []).some((requirement) => Object.keys(requirement).length === 0);
      const selfRoute = path.startsWith('/api/v1/tokens/self');
      expect(anonymous, `${method} ${path}`).toBe(scope === 'read' && authReads === 'false' && !selfRoute);
      expect(operation.security, `${method} ${path}`).toContainEqual({ bearerAuth: [] });
    }
  });

  it('are enforced as declared, for every operation and every caller', async () => {
    const outcomes: string[] = [];
    const wanted: string[] = [];
    for (const { method, path, operation } of operationsOf(document)) {
      for (const caller of CALLERS) {
        const url = path.replace('{id}', '1').replace('{name}', 'target');
        // A body that passes no validation: the auth check answers before it, or the route's 400 after it.
        // A rotation keeps the secret working (the caller's own, on /tokens/self/rotate).
        const payload = method === 'get' || method === 'delete' ? undefined : { grace_seconds: 604_800 };
        const secret = caller === 'anonymous' ? undefined : secrets.get(caller);
        const res = await injectOperation(t.app, {
          method: method.toUpperCase(),
          url,
          headers: secret === undefined ? {} : { authorization: `Bearer ${secret}` },
          ...(payload === undefined ? {} : { payload }),
        });
        const where = `${method.toUpperCase()} ${path} as ${caller}`;
        const code = res.statusCode >= 400 ? res.json<{ code: string }>().code : '';
        const outcome =
          (res.statusCode === 401 && code === 'AUTH_REQUIRED') ||
          (res.statusCode === 403 && code === 'INSUFFICIENT_SCOPE')
            ? res.statusCode
            : 'allowed';
        expect(res.statusCode, `${where}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        outcomes.push(`${where}: ${String(outcome)}`);
        wanted.push(`${where}: ${String(expected(operation, caller))}`);
      }
    }
    expect(outcomes).toStrictEqual(wanted);
    // Each outcome happens somewhere: the table is not vacuous.
    expect(wanted.some((w) => w.endsWith(': 401'))).toBe(true);
    expect(wanted.some((w) => w.endsWith(': 403'))).toBe(true);
  });
});
