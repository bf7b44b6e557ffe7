/** Splits an If-Match / If-None-Match value into its entity tags, or '*'. */
function entityTags(header: string): string[] | '*' {
  const trimmed = header.trim();
  if (trimmed === '*') {
    return '*';
  }
  return trimmed
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

/**
 * Whether a write may go ahead under If-Match (RFC 9110 13.1.1): no header, `*` (the resource
 * exists: the caller has found it), or a strong match with one of the listed tags.
 */
export function ifMatchAllows(header: string | undefined, etag: string): boolean {
  if (header === undefined) {
    return true;
  }
  const tags = entityTags(header);
  return tags === '*' || tags.includes(etag);
}

/** Whether a GET may answer 304 under If-None-Match (RFC 9110 13.1.2): a weak match is enough. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) {
    return false;
  }
  const tags = entityTags(header);
  return tags === '*' || tags.some((tag) => tag.replace(/^W\//, '') === etag);
}
