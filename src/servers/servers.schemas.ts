import Type, { type Static, type TOptional, type TSchema, type TUnsafe } from 'typebox';
import { Nullable } from '../shared/schemas.js';
import {
  DECLARED,
  FIELD_NAMES,
  type FieldName,
  type Declarations,
  type ObservedField,
  VERSIONED_FIELDS,
  type VersionedField,
  type ReadSchema,
  type RequiredField,
  WRITABLE_FIELDS,
  type WritableField,
  type WriteSchema,
  orNull,
} from './server-fields.js';
import { MAX_SERVER_ID } from './server-fields.schemas.js';

/**
 * 1 to 2147483647 in plain decimal. Ids arrive as path strings and are matched exactly rather than
 * coerced, so that `0x10`, `1e3`, ` 1` or `1.0` are refused instead of quietly naming another server.
 */
export const SERVER_ID_PATTERN =
  '^(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}' +
  '|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])$';

// The properties of Server, ServerInput and ServerPatch come from the declaration of a server's
// fields (server-fields.ts), in its order; the objects' own options stay here.

/** The properties of these fields as the API answers with them. */
function readProperties<N extends FieldName>(names: readonly N[]): { [K in N]: ReadSchema<K> } {
  return Object.fromEntries(names.map((name) => [name, orNull(name, DECLARED[name].read)])) as {
    [K in N]: ReadSchema<K>;
  };
}

/** A read-only field in a body: refused whatever its value. */
const ReadOnly = Type.Optional(Type.Unsafe<never>({ not: {}, errorMessage: 'is read-only' }));

/** A field's schema in PATCH's body: null too where null resets it. */
type PatchSchema<N extends WritableField> = Declarations[N] extends { nullResetsInPatch: true }
  ? TUnsafe<Static<WriteSchema<N>> | null>
  : WriteSchema<N>;

type InputProperties = {
  [N in FieldName]: N extends WritableField
    ? N extends RequiredField
      ? WriteSchema<N>
      : TOptional<WriteSchema<N>>
    : typeof ReadOnly;
};
type PatchProperties = {
  [N in FieldName]: N extends WritableField ? TOptional<PatchSchema<N>> : typeof ReadOnly;
};

/** The properties of POST's and PUT's body (`input`) or PATCH's: the writable fields, then the read-only ones. */
function writeProperties(body: 'input'): InputProperties;
function writeProperties(body: 'patch'): PatchProperties;
function writeProperties(body: 'input' | 'patch'): InputProperties | PatchProperties {
  const properties: Record<string, TSchema> = {};
  for (const name of WRITABLE_FIELDS) {
    const { write, required, nullResetsInPatch } = DECLARED[name];
    if (write === undefined) {
      throw new Error(`${name} is writable without a write schema`);
    }
    const schema = orNull(name, write);
    properties[name] =
      body === 'input'
        ? required === true
          ? schema
          : Type.Optional(schema)
        : Type.Optional(nullResetsInPatch === true ? Nullable(schema as TSchema & { type: string }) : schema);
  }
  for (const name of FIELD_NAMES) {
    if (DECLARED[name].write === undefined) {
      properties[name] = ReadOnly;
    }
  }
  return properties as InputProperties | PatchProperties;
}

/** The versioned server: what GET by id and the writes answer with, whose ETag it has. */
export const Server = Type.Object(readProperties(VERSIONED_FIELDS), {
  additionalProperties: false,
  title: 'Server',
  description: 'A server of the inventory',
});
export type Server = Static<typeof Server>;

/** A server in a list or an export: the versioned server and its observations (`last_seen_at`). */
export const ListedServer = Type.Object(readProperties(FIELD_NAMES), {
  additionalProperties: false,
  title: 'ListedServer',
  description: 'A server of the inventory with what was observed of it (last_seen_at), as lists and exports give it',
});
export type ListedServer = Static<typeof ListedServer>;
export type { ObservedField, VersionedField };

export const ServerList = Type.Object(
  {
    servers: Type.Array(ListedServer, { description: 'The servers, in the order of `sort` (by id by default)' }),
    count: Type.Integer({ minimum: 0, description: 'How many servers match the filters in all, not just this page' }),
    next: Nullable(Type.String({ description: 'Cursor of the next page, for `cursor=`; null on the last page' })),
  },
  { additionalProperties: false, title: 'ServerList' },
);
export type ServerList = Static<typeof ServerList>;

export const ServerIdParams = Type.Object(
  {
    id: Type.String({
      pattern: SERVER_ID_PATTERN,
      description: 'The server id, a positive integer',
      examples: ['1'],
      errorMessage: `must be a positive integer no larger than ${MAX_SERVER_ID}`,
    }),
  },
  { additionalProperties: false },
);

/** A server as a client writes it: POST's and PUT's body. Omitted fields take their defaults. */
export const ServerInput = Type.Object(writeProperties('input'), {
  additionalProperties: false,
  title: 'ServerInput',
  description: 'A server; hostname and ip are required',
});
export type ServerInput = Static<typeof ServerInput>;

/** POST's body: one server, or 1 to 1000 created together, all or nothing. */
export const MAX_BATCH = 1000;
export const CreateServersBody = Type.Unsafe<ServerInput | ServerInput[]>({
  description: `One server, or an array of 1 to ${MAX_BATCH} servers created in one transaction`,
  if: { type: 'array' },
  then: Type.Array(ServerInput, { minItems: 1, maxItems: MAX_BATCH }),
  else: ServerInput,
});

/** PATCH's body: a JSON Merge Patch (RFC 7396). null clears an optional field. */
export const ServerPatch = Type.Object(writeProperties('patch'), {
  additionalProperties: false,
  title: 'ServerPatch',
  description: 'A JSON Merge Patch of a server (RFC 7396)',
});
export type ServerPatch = Static<typeof ServerPatch>;

/** No query parameters are accepted yet: an unknown one is a 400, never silently ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

const Counts = Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
  description: 'Servers per value; servers without one are counted under "(none)"',
});

export const Summary = Type.Object(
  {
    total: Type.Integer({ minimum: 0 }),
    by_status: Counts,
    by_environment: Counts,
    by_role: Counts,
    by_location: Counts,
  },
  {
    additionalProperties: false,
    // by_cf_<name>: the counts of a custom field that `by` names (a boolean's values as "true" and "false").
    patternProperties: { '^by_cf_[a-z][a-z0-9_]{0,62}$': Counts },
    title: 'Summary',
  },
);
export type Summary = Static<typeof Summary> & Record<`by_cf_${string}`, Record<string, number>>;
