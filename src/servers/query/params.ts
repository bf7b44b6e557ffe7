import Type from 'typebox';
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
        `Comma-separated keys among ${SORT_FIELDS.join(', ')}, each with an optional leading - for descending; ` +
        'ties are broken by id. ip sorts numerically, IPv4 before IPv6.',
      examples: ['-status,ip'],
    }),
  ),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Page size, ${DEFAULT_LIMIT} by default` }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Rows to skip' })),
  cursor: Type.Optional(
    Type.String({ maxLength: 4096, description: 'The `next` of the previous page: walks any sort without gaps' }),
  ),
};

/** The values of each field's filter, then the filters of no one field. */
export type Filters = Partial<Record<FieldFilterParameter, string[]>> & {
  cidr?: { from: Buffer; to: Buffer }[];
  q?: string;
  updatedSince?: string;
  lastSeenBefore?: string;
  lastSeenAfter?: string;
};

export interface SortKey {
  field: SortField;
  descending: boolean;
}

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
};
