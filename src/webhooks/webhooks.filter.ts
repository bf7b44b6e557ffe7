import Type from 'typebox';
import type { ErrorDetail } from '../errors.js';
import { compileQueryValidator } from '../plugins/validation.js';
import { malformedQueryParameter } from '../plugins/validation/query.js';
import { customFilterParameters, filterParameters, type RawQuery } from '../servers/query/params.js';
import { type DefinitionsLoader, collectedFilters, definitionsFor } from '../servers/query/parsing.js';

// A subscription's filter: a query string in the servers list's filter syntax, checked by the list's
// own schema and parser, so that a filter a subscription takes is one the list takes, and means the same.

/** The list's filter parameters, and nothing else: no sort, paging or format. */
const FilterQuery = Type.Object(filterParameters, {
  additionalProperties: false,
  patternProperties: customFilterParameters,
});
const validateFilterQuery = compileQueryValidator(FilterQuery);
const FIXED_PARAMETERS = new Set(Object.keys(filterParameters));
const CUSTOM_PATTERNS = Object.keys(customFilterParameters).map((pattern) => new RegExp(pattern, 'u'));

function isFilterParameter(name: string): boolean {
  return FIXED_PARAMETERS.has(name) || CUSTOM_PATTERNS.some((pattern) => pattern.test(name));
}

const UNKNOWN_PARAMETER =
  `is not a filter of the servers list: filters are ${[...FIXED_PARAMETERS].join(', ')} and ` +
  'cf_<name> (with __gte, __lte or __empty) for custom fields';

/** The query string as the list's route gets it: a parameter's repeated values as an array. */
function parseQuery(text: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
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
  const named = (details: ErrorDetail[]) => details.map((d) => ({ ...d, field: `filter.${d.field}` }));
  const malformed = malformedQueryParameter(`?${text}`);
  if (malformed !== null) {
    return {
      filter: text,
      details: named([
        { field: malformed, message: 'must be percent-encoded UTF-8 (holds a malformed escape such as %FF)' },
      ]),
    };
  }
  const query = parseQuery(text);
  const unknown = Object.keys(query).filter((name) => !isFilterParameter(name));
  const known = Object.fromEntries(Object.entries(query).filter(([name]) => isFilterParameter(name)));
  const details: ErrorDetail[] = [
    ...unknown.map((name) => ({ field: name, message: UNKNOWN_PARAMETER })),
    ...validateFilterQuery(known),
  ];
  if (details.length > 0) {
    return { filter: text, details: named(details) };
  }
  // The validator has made each fixed filter's values an array, as the list's route has them.
  const raw = known as RawQuery;
  const parsed = collectedFilters(raw, await definitionsFor(raw, definitions));
  return { filter: text, details: named(parsed.details) };
}
