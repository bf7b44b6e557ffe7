import Type from 'typebox';
import type { CustomValue } from '../../custom-fields/custom-fields.schemas.js';
import type { Definition } from '../../custom-fields/custom-fields.values.js';
import {
  DECLARED,
  type FieldName,
  type FieldsWith,
  type FilterKind,
  type SortKind,
  type Declarations,
  fieldsWith,
} from '../server-fields.js';

// The list's parameters: as the query string carries them (the schemas every listing-like route
// declares) and as parsing leaves them (Filters, SortKey, Listing).

/** A filter's values: any of them matches, but for tags, which a server must all have. */
const Values = (description: string, match = 'any of them') =>
  Type.Optional(
    Type.Array(Type.String({ maxLength: 1024 }), {
      maxItems: 100,
      description: `${description}. Repeat the parameter or separate values with commas to match ${match}.`,
    }),
  );

/** The query parameter of a field's filter: the field's name unless its declaration names another. */
type FilterParameterOf<N extends FieldName> = Declarations[N] extends {
  filter: { parameter: infer P extends string };
}
  ? P
  : N extends FieldsWith<'filter'>
    ? N
    : never;
export type FieldFilterParameter = { [N in FieldName]: FilterParameterOf<N> }[FieldName];

export interface FieldFilter {
  field: FieldName;
  parameter: FieldFilterParameter;
  kind: FilterKind;
  description: string;
}

/** The order of the filters' parameters, by kind: the order in which the API has always listed them. */
const KIND_ORDER: readonly FilterKind[] = ['status', 'label', 'hostname', 'ip', 'tag', 'source'];

/** The filters of the declared fields (server-fields.ts), by kind in KIND_ORDER, then as declared. */
export const FIELD_FILTERS: readonly FieldFilter[] = KIND_ORDER.flatMap((kind) =>
  fieldsWith('filter').flatMap((field) => {
    const filter = DECLARED[field].filter;
    return filter?.kind === kind
      ? [
          {
            field,
            parameter: (filter.parameter ?? field) as FieldFilterParameter,
            kind,
            description: filter.description,
          },
        ]
      : [];
  }),
);

/** The filters every listing-like route accepts (list, exports, summary, feeds). */
export const filterParameters = {
  ...(Object.fromEntries(
    FIELD_FILTERS.map((filter) => [
      filter.parameter,
      Values(filter.description, filter.kind === 'tag' ? 'only servers that have all of them' : undefined),
    ]),
  ) as Record<FieldFilterParameter, ReturnType<typeof Values>>),
  cidr: Values('An IPv4 or IPv6 prefix such as 10.0.0.0/8 or fd00::/8: servers whose address lies inside it'),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      pattern: '^[^\\p{C}]+$',
      description: 'A substring of the host name or the notes, any case',
      errorMessage: 'must be 1 to 256 printable characters',
    }),
  ),
  updated_since: Type.Optional(
    Type.String({ format: 'date-time', description: 'Only servers changed at or after this RFC 3339 time' }),
  ),
  last_seen_before: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        'Only servers not seen by an apply at or after this RFC 3339 time: last seen before it, or never. ' +
        'With managed_by, what a source has stopped seeing.',
    }),
  ),
  last_seen_after: Type.Optional(
    Type.String({ format: 'date-time', description: 'Only servers seen by an apply at or after this RFC 3339 time' }),
  ),
};

/** A custom field's parameter: `cf_` and the field's name (custom-fields.schemas.ts), as a pattern's body. */
const CUSTOM_PARAMETER = 'cf_[a-z][a-z0-9_]{0,62}';

/** The operators a custom field's filter takes after its name (`cf_u__gte`): none is exact. */
export const CUSTOM_OPERATORS = ['gte', 'lte', 'empty'] as const;
export type CustomOperator = (typeof CUSTOM_OPERATORS)[number];

/**
 * The filters of the custom fields, by the pattern of their parameters (a route's schema's
 * `patternProperties`): `cf_<name>`, `cf_<name>__gte`, `cf_<name>__lte` and `cf_<name>__empty`. The
 * patterns never overlap (a name ending in an operator is reserved), so each parameter has one schema.
 * Which fields exist and what their values must be is checked by parsing, with the definitions.
 */
export const customFilterParameters = {
  [`^(?!.*__(?:${CUSTOM_OPERATORS.join('|')})$)${CUSTOM_PARAMETER}$`]: Type.Array(Type.String({ maxLength: 4096 }), {
    maxItems: 100,
    description:
      "A custom field's value, exactly, checked by the field's type. Repeat the parameter (or, but for " +
      'string and url fields, separate values with commas) to match any of them.',
  }),
  [`^${CUSTOM_PARAMETER}__(?:gte|lte)$`]: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'At least (gte) or at most (lte) this value: integer, number, date and datetime fields',
    errorMessage: 'must be one bound: an integer, a number, a date or a date and time, by the field',
  }),
  [`^${CUSTOM_PARAMETER}__empty$`]: Type.String({
    enum: ['true', 'false'],
    description: 'true: servers without a value for the field; false: servers with one',
    errorMessage: 'must be true or false',
  }),
};

/** How the OpenAPI document shows the custom fields' filters: one object whose properties are the parameters. */
export const customFilterDocumentation = {
  name: 'custom_field_filters',
  description:
    'Filters by custom fields (GET /api/v1/custom-fields defines them), one query parameter each, not a ' +
    "parameter of this name: `cf_<name>=value` (exactly, checked by the field's type; repeated, or for " +
    'other than string and url fields comma-separated, to match any of the values), `cf_<name>__gte=` and ' +
    '`cf_<name>__lte=` (integer, number, date and datetime fields; bounds included), `cf_<name>__empty=true` ' +
    '(no value) or `false` (any value). An unknown field is a 400. For example ' +
    '`?cf_rack=R12&cf_rack=R14&cf_u__gte=10`, or in this form `{"cf_rack": ["R12", "R14"], "cf_u__gte": "10"}`.',
};

/** A custom field as the list filters and sorts by it. */
export type CustomFieldRef = Pick<Definition, 'name' | 'type'>;

/** The conditions on one custom field, all of which a server meets. */
export interface CustomFilter {
  field: CustomFieldRef;
  /** Any of these values. */
  values?: CustomValue[];
  /** At least this value (integers, numbers, dates and date-times). */
  gte?: string | number;
  /** At most this value. */
  lte?: string | number;
  /** true: no value; false: a value. */
  empty?: boolean;
}

/** The fields the list sorts by: those declared with a sort (server-fields.ts), in their order. */
export type SortField = FieldsWith<'sort'>;
export const SORT_FIELDS = fieldsWith('sort') as readonly SortField[];

/** How the list sorts by each of them (see SortKind). */
export const SORT_KINDS = Object.fromEntries(SORT_FIELDS.map((field) => [field, DECLARED[field].sort])) as Record<
  SortField,
  SortKind
>;

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

export const pagingParameters = {
  sort: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        `Comma-separated keys among ${SORT_FIELDS.join(', ')}, or cf_<name> (a custom field), each with an ` +
        'optional leading - for descending; ties are broken by id. ip sorts numerically, IPv4 before IPv6; ' +
        'servers without a value for a custom field come last in both directions.',
      examples: ['-status,ip'],
    }),
  ),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Page size, ${DEFAULT_LIMIT} by default` }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Rows to skip' })),
  cursor: Type.Optional(
    // It carries the sort values of the page's last server: a custom field's string value may be long.
    Type.String({ maxLength: 8192, description: 'The `next` of the previous page: walks any sort without gaps' }),
  ),
};

/** The values of each field's filter, then the filters of no one field. */
export type Filters = Partial<Record<FieldFilterParameter, string[]>> & {
  cidr?: { from: Buffer; to: Buffer }[];
  q?: string;
  updatedSince?: string;
  lastSeenBefore?: string;
  lastSeenAfter?: string;
  /** The custom fields' filters, in the order of the fields' names. */
  custom?: CustomFilter[];
};

/** A key of the sort: a field's (server-fields.ts) or a custom field's. */
export type SortKey = { field: SortField; descending: boolean } | { custom: CustomFieldRef; descending: boolean };

export interface Listing {
  filters: Filters;
  sort: SortKey[];
  limit: number;
  offset: number;
  /** The sort values of the row after which the page starts. */
  after?: unknown[];
}

/** The query string as the route hands it over, after its schema's checks. */
export type RawQuery = Partial<Record<keyof typeof filterParameters, string | string[]>> & {
  sort?: string;
  limit?: number;
  offset?: number;
  cursor?: string;
} & Partial<Record<`cf_${string}`, string | string[]>>;
