import Type from 'typebox';

// The list's parameters: as the query string carries them (the schemas every listing-like route
// declares) and as parsing leaves them (Filters, SortKey, Listing).

const Values = (description: string) =>
  Type.Optional(
    Type.Array(Type.String({ maxLength: 1024 }), {
      maxItems: 100,
      description: `${description}. Repeat the parameter or separate values with commas to match any of them.`,
    }),
  );

/** The filters every listing-like route accepts (list, exports, summary, feeds). */
export const filterParameters = {
  status: Values('Status: up, down, maintenance or decommissioned'),
  environment: Values('Environment, exactly'),
  role: Values('Role, exactly'),
  location: Values('Location, exactly'),
  os: Values('Operating system, exactly'),
  hostname: Values('Host name, exactly (case does not matter)'),
  ip: Values('IP address, exactly (in any notation of the same address)'),
  tag: Values('Tags the server must all have'),
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
};

export const SORT_FIELDS = ['id', 'hostname', 'ip', 'status', 'environment', 'created_at', 'updated_at'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

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

export interface Filters {
  status?: string[];
  environment?: string[];
  role?: string[];
  location?: string[];
  os?: string[];
  hostname?: string[];
  ip?: string[];
  tag?: string[];
  cidr?: { from: Buffer; to: Buffer }[];
  q?: string;
  updatedSince?: string;
}

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
