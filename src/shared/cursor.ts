// The envelope of the API's cursors: a JSON object in base64url, opaque to clients. What the object
// holds is each listing's own (src/servers/query/cursor.ts, src/webhooks/webhooks.cursor.ts).

/** A cursor carrying `content`. */
export function encodeCursorObject(content: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(content)).toString('base64url');
}

/**
 * The object a cursor carries, or null if it is not one: anyone can send any text, or any JSON (null,
 * a number, an array ...), not only what encodeCursorObject wrote. Its properties are still unchecked.
 */
export function decodeCursorObject(cursor: string): Record<string, unknown> | null {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    return null;
  }
  return decoded as Record<string, unknown>;
}

/**
 * The `Link: <...>; rel="next"` header of a page that has a next one: the request's own query with
 * `cursor` set to the next page's (and `offset` dropped: a cursor replaces it), on `path`.
 */
export function nextPageLink(path: string, url: string, cursor: string): string {
  const params = new URLSearchParams(url.split('?')[1] ?? '');
  params.delete('offset');
  params.set('cursor', cursor);
  return `<${path}?${params.toString()}>; rel="next"`;
}
