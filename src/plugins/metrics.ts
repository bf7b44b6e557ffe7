import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely, KyselyPlugin, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import Type from 'typebox';
import type { Database } from '../db/types.js';
import { SERVER_STATUSES } from '../servers/server-fields.schemas.js';
import { countServersByEnvironment, countServersByStatus } from '../servers/servers.stats.js';
import { errorResponses } from '../shared/schemas.js';

/** The label of requests that matched no route: one series for all of them, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';
/**
 * The environment label of servers without an environment: empty, which Prometheus reads as no
 * label at all (`{environment=""}` selects them). A word such as "none" would merge them with an
 * environment of that name; an environment is never empty (LABEL_PATTERN).
 */
export const NO_ENVIRONMENT = '';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly dbQueryDuration: Histogram<'operation'>;
}

/**
 * The app's metrics, in a registry of its own (not prom-client's global one, so that several apps in
 * one process, as in the tests, do not collide): HTTP requests, database queries, the process and
 * Node.js (event-loop lag, heap, GC), and the inventory itself, counted from `db` at each scrape.
 */
export function createMetrics(db: Kysely<Database>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which promtool's lint refuses; the same numbers remain by type in
  // nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }

  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const dbQueryDuration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Time the database took to answer a successful query, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });

  new Gauge({
    name: 'inventory_servers',
    help: 'Servers in the inventory, by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = new Map<string, number>(SERVER_STATUSES.map((status) => [status, 0]));
      for (const { value, count } of await countServersByStatus(db)) {
        counts.set(value ?? 'unknown', count);
      }
      for (const [status, count] of counts) {
        this.set({ status }, count);
      }
    },
  });
  new Gauge({
    name: 'inventory_servers_by_environment',
    help: 'Servers in the inventory, by environment (empty for servers without one)',
    labelNames: ['environment'] as const,
    registers: [registry],
    async collect() {
      // An environment whose last server went away must disappear, not keep its last count.
      this.reset();
      for (const { value, count } of await countServersByEnvironment(db)) {
        this.inc({ environment: value ?? NO_ENVIRONMENT }, count);
      }
    },
  });

  return { registry, httpRequests, httpRequestDuration, dbQueryDuration };
}

/** Adds the gauge of the change streams open in this process, read from `count` at each scrape. */
export function observeChangeStreams(metrics: Metrics, count: () => number): void {
  new Gauge({
    name: 'inventory_change_streams',
    help: 'Change streams (GET /api/v1/changes/stream) open in this process',
    registers: [metrics.registry],
    collect() {
      this.set(count());
    },
  });
}

/** The operation label of each kind of query node, derived once: `SelectQueryNode` -> `select`. */
const operations = new Map<string, string>();
function operationOf(node: RootOperationNode): string {
  let operation = operations.get(node.kind);
  if (operation === undefined) {
    operation = node.kind.replace(/QueryNode$|Node$/, '').toLowerCase();
    operations.set(node.kind, operation);
  }
  return operation;
}

/**
 * The same database, with every successful query timed into `db_query_duration_seconds`.
 * Transactions opened on it are timed too. A failed query is not (it is logged as an error instead).
 */
export function observeQueries(db: Kysely<Database>, metrics: Metrics): Kysely<Database> {
  // Kysely hands the same queryId to both calls; a query that fails never reaches transformResult,
  // and the WeakMap lets its entry go.
  const timers = new WeakMap<object, () => number>();
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      timers.set(args.queryId, metrics.dbQueryDuration.startTimer({ operation: operationOf(args.node) }));
      return args.node;
    },
    async transformResult(args): Promise<QueryResult<UnknownRow>> {
      const end = timers.get(args.queryId);
      if (end !== undefined) {
        timers.delete(args.queryId);
        end();
      }
      return args.result;
    },
  };
  return db.withPlugin(plugin);
}

export interface MetricsPluginOptions {
  metrics: Metrics;
}

/** Measures every request and serves the registry at `GET /metrics`, in Prometheus's text format. */
export const metricsPlugin = fp<MetricsPluginOptions>(
  async (app: FastifyInstance, { metrics }) => {
    // A callback hook: an async one costs every request a promise and a turn of the microtask queue.
    app.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status: String(reply.statusCode),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
      done();
    });

    app.get(
      '/metrics',
      {
        // Like the API's reads: open, or behind a token with INVENTORY_AUTH_READS=true.
        config: { scope: 'read' },
        schema: {
          operationId: 'getMetrics',
          tags: ['operations'],
          summary: 'Prometheus metrics',
          description:
            'Requests, database queries, the process and Node.js, and the inventory, in the Prometheus text ' +
            'format. Needs a token (read scope) when INVENTORY_AUTH_READS is true.',
          response: {
            200: {
              description: 'The metrics',
              content: { 'text/plain': { schema: Type.String() } },
            },
            ...errorResponses(401, 403, 429),
          },
        },
      },
      async (_request, reply) => {
        const text = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(text);
      },
    );
  },
  { name: 'metrics', fastify: '5.x' },
);
