// The console's pages by address (the server answers the same page at each: src/plugins/console.ts).
export type Route =
  | { page: 'servers' }
  | { page: 'server'; id: number }
  | { page: 'new-server' }
  | { page: 'overview' }
  | { page: 'activity' }
  | { page: 'admin' }
  | { page: 'not-found' };

/**
 * The page a path shows: the list at /servers (and at /, the console's home), a server at
 * /servers/<id> (digits only), the form of a new server at /servers/new, the summary at /overview,
 * the change feed at /activity, the administration at /admin.
 */
export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '');
  if (path === '' || path === '/servers') {
    return { page: 'servers' };
  }
  if (path === '/servers/new') {
    return { page: 'new-server' };
  }
  if (path === '/overview') {
    return { page: 'overview' };
  }
  if (path === '/activity') {
    return { page: 'activity' };
  }
  if (path === '/admin') {
    return { page: 'admin' };
  }
  const match = /^\/servers\/([1-9][0-9]{0,15})$/.exec(path);
  return match?.[1] === undefined ? { page: 'not-found' } : { page: 'server', id: Number(match[1]) };
}
