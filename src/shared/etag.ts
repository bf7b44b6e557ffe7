/** One entity tag of RFC 9110 8.8.3: optionally weak, double-quoted, no quote or space inside. */
const ENTITY_TAG = /^(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/**
 * Whether an If-Match / If-None-Match value is `*` or a list of entity tags. An unquoted `3-2` is not:
 * read as a tag it never matches, and a write would fail as "changed" when the request is at fault.
 */
export function isEntityTagList(header: string): boolean {
  const tags = entityTags(header);
  return tags === '*' || (tags.length > 0 && tags.every((tag) => ENTITY_TAG.test(tag)));
}

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
