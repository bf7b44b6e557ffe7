import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  /** The path as Fastify has it, such as `/api/v1/servers/:id`. */
  url: string;
}

/**
 * Every route the app has registered, read back from `printRoutes()`: the router's own tree, one node
 * per line, four columns of indentation per level, each node's segment relative to its parent, the
 * methods after the nodes that end a route. (With `commonPrefix: false` the tree it prints loses
 * routes: `/docs/static/*` beside `/docs/*`.)
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const parents: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (match === null) {
      continue;
    }
    const depth = (match[1] ?? '').length / 4;
    // Routes of several methods that share no first character (`/...` and `*` for CORS's OPTIONS)
    // hang under a root without a segment.
    const segment = match[2] === '(empty root node)' ? '' : (match[2] ?? '');
    const url = (parents[depth - 1] ?? '') + segment;
    parents[depth] = url;
    parents.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ').filter((m) => m !== '')) {
      routes.push({ method, url });
    }
  }
  return routes;
}

/** `/api/v1/servers/:id` -> `/api/v1/servers/{id}`. */
export function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
