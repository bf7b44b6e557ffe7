import type { ErrorDetail } from '../errors.js';
import { SQLITE_LOWER } from '../servers/query/lower-case.js';
import { checkServerFilter } from '../servers/query/match.js';
import type { DefinitionsLoader } from '../servers/query/parsing.js';

// A subscription's filter: a query string in the servers list's filter syntax, checked by the shared
// matcher (src/servers/query/match.ts), which checks it with the list's own schema and parser, so that
// a filter a subscription takes is one the list takes, and means the same.

/** Whether a filter names a custom field, so that the definitions must be read to check it. */
export function namesCustomField(text: string): boolean {
  return [...new URLSearchParams(text).keys()].some((name) => name.startsWith('cf_'));
}

/**
 * A filter checked as the list checks its query string: the filter in the form it is stored ('' for
 * none, without a leading ?), and a detail per problem, each naming the parameter (`filter.status`).
 * The definitions of the custom fields are read only when the filter names one.
 */
export async function checkFilter(
  filter: string,
  definitions: DefinitionsLoader,
): Promise<{ filter: string; details: ErrorDetail[] }> {
  const text = filter.startsWith('?') ? filter.slice(1) : filter;
  if (text === '') {
    return { filter: '', details: [] };
  }
  const named = namesCustomField(text) ? await definitions() : [];
  // Case folding decides what `q` matches, not whether the filter is valid: any lower() checks it.
  const checked = checkServerFilter(text, named, { lower: SQLITE_LOWER, prefix: 'filter.' });
  return { filter: text, details: checked.ok ? [] : [...checked.details] };
}
