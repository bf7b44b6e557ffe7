import Type, { type Static, type TSchema, type TUnsafe } from 'typebox';
import { Nullable, Timestamp } from '../shared/schemas.js';
import { CustomValues, CustomValuesInput } from '../custom-fields/custom-fields.schemas.js';
import { canonicalIp } from './ip-address.js';
import { checkLabel } from './labels.js';
import {
  Hostname,
  IpAddress,
  Label,
  MAX_SERVER_ID,
  Notes,
  ServerStatus,
  SourceName,
  StatusInput,
  Tags,
} from './server-fields.schemas.js';

// A server's fields, declared once; the schemas of their values are in server-fields.schemas.ts.
// Derived from SERVER_FIELDS: the API's schemas (servers.schemas.ts), the table's type (src/db/types.ts),
// the columns a read selects and a write stores (servers.repository.ts, servers.mapper.ts), the values
// a write stores and the history's fields (servers.values.ts), the list's filters and sort keys
// (query/), the CSV columns (servers.export.ts) and the feeds (src/integrations/). Only toServer is
// written out, for speed, and the compiler holds it to the declaration. What no entry can say is code
// where it belongs, and the entry points at it. docs/adding-a-field.md has the steps.

/** What a write makes of a value its schema let through: the value to store, or what is wrong with it. */
export type Normalised<T> = { ok: true; value: T } | { ok: false; problem: string };

function canonicalAddress(value: string): Normalised<string> {
  const canonical = canonicalIp(value);
  // The schema's format check lets nothing else through; this guards the service's own callers.
  return canonical === null
    ? { ok: false, problem: 'must be an IPv4 or IPv6 address' }
    : { ok: true, value: canonical };
}

/**
 * How the list filters by a field: which values it takes and how they match (query/parsing.ts,
 * query/sql.ts). `label`: exactly, in NFC; `hostname`: exactly, in any case; `ip`: the same address in
 * any notation; `status`: one of the statuses; `tag`: the server has every tag given; `source`: a
 * source's name exactly, or `(none)` for no source.
 */
export type FilterKind = 'status' | 'label' | 'hostname' | 'ip' | 'tag' | 'source';

/**
 * How the list sorts by a field and how a cursor carries its value (query/sql.ts, query/cursor.ts).
 * `id`: an integer; `text`: a column of text; `label`: text, null sorting as '' (first, by an index on
 * that expression); `address`: by the address key, ip_key (numerically, IPv4 before IPv6).
 */
export type SortKind = 'id' | 'text' | 'label' | 'address';

export interface FieldDeclaration {
  /** Its schema in a server the API answers with (null is added if `nullable`). */
  read: TSchema;
  /** Whether it may be null: in the API and in its column. */
  nullable?: true;
  /** Its schema in the bodies of POST, PUT and PATCH (null is added if `nullable`); none if it is read-only. */
  write?: TSchema;
  /** Whether POST and PUT must give it; otherwise an omitted field takes `default`. */
  required?: true;
  /** Its value when a POST or PUT omits it, or a PATCH sets it to null. */
  default?: unknown;
  /** Whether a PATCH may set it to null, which resets it to `default` (a nullable field takes null anyway). */
  nullResetsInPatch?: true;
  /** The value a write stores, from the one its schema let through; the value as it is when absent. */
  normalise?: (value: never) => Normalised<unknown>;
  /**
   * Its column in the servers table, of the field's name: its type as the migrations create it (on
   * PostgreSQL `postgresType` where that differs), and `json` where it holds the value as JSON (text,
   * or jsonb read as text).
   */
  column: { type: string; postgresType?: string; json?: true };
  /** Its filter on the list and every listing-like route: a query parameter (the field's name, or `parameter`). */
  filter?: { kind: FilterKind; description: string; parameter?: string };
  /** Whether, and how, the list sorts by it. */
  sort?: SortKind;
  /** Whether it is a column of the CSV export, named after it, in the order of the declaration. */
  csv?: true;
  /** Its place in the Ansible inventory: a host variable `server_<name>`, and a group per value. */
  ansible?: { variable?: true; group?: string };
  /** Whether Prometheus service discovery gives every target the label `__meta_inventory_<name>`. */
  prometheus?: true;
  /**
   * Whether it is an observation, not a part of the server: set by what sees the server (an apply),
   * never by a write of the server, so it bumps no version and makes no history. It is served beside
   * the versioned server, not in it (lists and exports carry it, GET by id as a header), so that the
   * server's ETag stays true to its body yet does not change when only an observation does.
   */
  observed?: true;
}

/**
 * Every field of a server, in the order of the API's objects, of the CSV columns and of the history.
 * A read-only field (no `write`) is refused in a body with "is read-only".
 */
export const SERVER_FIELDS = {
  id: {
    read: Type.Integer({ minimum: 1, maximum: MAX_SERVER_ID, description: 'Assigned by the store' }),
    column: { type: 'integer' },
    sort: 'id',
    csv: true,
    ansible: { variable: true },
    prometheus: true,
  },
  hostname: {
    read: Type.String({ examples: ['web-prod-01'] }),
    write: Hostname,
    required: true,
    // Unique regardless of case, as DNS names are.
    normalise: (value: string) => ({ ok: true, value: value.toLowerCase() }),
    column: { type: 'varchar(253)' },
    filter: { kind: 'hostname', description: 'Host name, exactly (case does not matter)' },
    sort: 'text',
    csv: true,
    // The Ansible inventory names its hosts by it (src/integrations/ansible.ts): no variable of its own.
    prometheus: true,
  },
  ip: {
    read: Type.String({ description: 'IPv4 or IPv6 address', examples: ['10.0.0.1'] }),
    write: IpAddress,
    required: true,
    // The canonical form (./ip-address.ts). Beside it the repository stores ip_key, the address as
    // bytes that sort like it (./ip-key.ts), by which the list sorts, pages and filters by prefix (cidr).
    normalise: canonicalAddress,
    column: { type: 'varchar(45)' },
    filter: { kind: 'ip', description: 'IP address, exactly (in any notation of the same address)' },
    sort: 'address',
    csv: true,
    // Also ansible_host; in Prometheus it is the target itself, not a label.
    ansible: { variable: true },
  },
  status: {
    read: ServerStatus,
    write: StatusInput,
    default: 'up',
    column: { type: 'varchar(16)' },
    filter: { kind: 'status', description: 'Status: up, down, maintenance or decommissioned' },
    sort: 'text',
    csv: true,
    ansible: { variable: true, group: 'status' },
    prometheus: true,
  },
  environment: {
    read: Type.String({ examples: ['production'] }),
    nullable: true,
    write: Label,
    default: null,
    // NFC and the look-alike rules of ./labels.ts.
    normalise: checkLabel,
    column: { type: 'varchar(64)' },
    filter: { kind: 'label', description: 'Environment, exactly' },
    sort: 'label',
    csv: true,
    ansible: { variable: true, group: 'env' },
    prometheus: true,
  },
  role: {
    read: Type.String({ examples: ['web'] }),
    nullable: true,
    write: Label,
    default: null,
    normalise: checkLabel,
    column: { type: 'varchar(64)' },
    filter: { kind: 'label', description: 'Role, exactly' },
    csv: true,
    ansible: { variable: true, group: 'role' },
    prometheus: true,
  },
  location: {
    read: Type.String({ examples: ['eu-west-1a'] }),
    nullable: true,
    write: Label,
    default: null,
    normalise: checkLabel,
    column: { type: 'varchar(64)' },
    filter: { kind: 'label', description: 'Location, exactly' },
    csv: true,
    ansible: { variable: true, group: 'location' },
    prometheus: true,
  },
  os: {
    read: Type.String({ examples: ['debian-12'] }),
    nullable: true,
    write: Label,
    default: null,
    normalise: checkLabel,
    column: { type: 'varchar(64)' },
    filter: { kind: 'label', description: 'Operating system, exactly' },
    csv: true,
    ansible: { variable: true },
    prometheus: true,
  },
  tags: {
    read: Type.Array(Type.String(), { examples: [['frontend', 'pci']] }),
    write: Tags,
    default: [],
    nullResetsInPatch: true,
    // A JSON array in the row, and one row per tag in server_tags, which the tag filter reads; the
    // repository writes both (servers.repository.ts).
    column: { type: 'text', json: true },
    filter: { kind: 'tag', description: 'Tags the server must have', parameter: 'tag' },
    csv: true,
    ansible: { variable: true, group: 'tag' },
    prometheus: true,
  },
  notes: {
    read: Type.String(),
    nullable: true,
    write: Notes,
    default: null,
    // No filter of its own: `q` searches it with the host name (query/sql.ts).
    column: { type: 'text' },
    csv: true,
    ansible: { variable: true },
  },
  managed_by: {
    read: Type.String({
      description: 'The source that owns the server (an apply from another source may not change it), or null',
      examples: ['vcenter-sync'],
    }),
    nullable: true,
    write: SourceName,
    default: null,
    column: { type: 'varchar(64)' },
    filter: { kind: 'source', description: 'The owning source, exactly; (none) for servers no source owns' },
    csv: true,
    ansible: { variable: true },
    prometheus: true,
  },
  custom_fields: {
    read: CustomValues,
    write: CustomValuesInput,
    default: {},
    // null in a PATCH removes every value.
    nullResetsInPatch: true,
    // Checked against the definitions (src/custom-fields/) in the write's transaction, where a PATCH
    // also merges them (servers.values.ts); filtered, sorted, exported and carried into the feeds by
    // code of their own, as the fields are the inventory's, not the declaration's. jsonb on PostgreSQL,
    // so that the fields' indexes and filters do not parse the JSON again for each row they read.
    column: { type: 'text', postgresType: 'jsonb', json: true },
  },
  created_at: {
    read: Timestamp,
    column: { type: 'varchar(32)' },
    sort: 'text',
    csv: true,
  },
  updated_at: {
    // `updated_since` filters by it (query/params.ts).
    read: Timestamp,
    column: { type: 'varchar(32)' },
    sort: 'text',
    csv: true,
  },
  last_seen_at: {
    // `last_seen_before` and `last_seen_after` filter by it (query/params.ts).
    read: Type.String({
      format: 'date-time',
      description: 'RFC 3339, UTC: when an apply last saw the server in its input; null if none has',
    }),
    nullable: true,
    column: { type: 'varchar(32)' },
    csv: true,
    observed: true,
  },
} as const satisfies Record<string, FieldDeclaration>;

/** Each field's declaration as written, for the types derived from it. */
export type Declarations = typeof SERVER_FIELDS;
export type FieldName = keyof Declarations;

/** Every field's declaration, each seen through the interface every declaration meets. */
export const DECLARED: Readonly<Record<FieldName, FieldDeclaration>> = SERVER_FIELDS;

/** Every field, in the order of the declaration. */
export const FIELD_NAMES = Object.keys(SERVER_FIELDS) as FieldName[];

/** The observations (see `observed`): served beside the versioned server. */
export type ObservedField = FieldsWith<'observed', true>;
/** The fields of the versioned server: every field but the observations. */
export type VersionedField = Exclude<FieldName, ObservedField>;
export const VERSIONED_FIELDS = FIELD_NAMES.filter((name) => DECLARED[name].observed !== true) as VersionedField[];

/** The fields of the declaration that have `key`, in its order. */
export function fieldsWith(key: keyof FieldDeclaration): FieldName[] {
  return FIELD_NAMES.filter((name) => DECLARED[name][key] !== undefined);
}

/** The names of the fields whose declaration has a property `key` of type `V`. */
export type FieldsWith<K extends PropertyKey, V = unknown> = {
  [N in FieldName]: Declarations[N] extends Record<K, V> ? N : never;
}[FieldName];

/**
 * The fields the feeds read (src/integrations/): those Ansible or Prometheus give, the host name that
 * names an Ansible host, and the custom values; no observation is ever among them.
 */
export type FeedField = Exclude<
  'hostname' | 'custom_fields' | FieldsWith<'ansible'> | FieldsWith<'prometheus', true>,
  ObservedField
>;
export const FEED_FIELDS = FIELD_NAMES.filter(
  (name) =>
    DECLARED[name].observed !== true &&
    (name === 'hostname' ||
      name === 'custom_fields' ||
      DECLARED[name].ansible !== undefined ||
      DECLARED[name].prometheus === true),
) as FeedField[];

/** A client writes these (and they make a server's history): the fields with a write schema. */
export type WritableField = FieldsWith<'write'>;
export const WRITABLE_FIELDS = fieldsWith('write') as WritableField[];
export type RequiredField = FieldsWith<'required', true>;

/** `Nullable(T)`'s type. */
export type TNullable<T extends TSchema> = TUnsafe<Static<T> | null>;

/** A field's schema in a server as read. */
export type ReadSchema<N extends FieldName> = Declarations[N] extends { nullable: true }
  ? TNullable<Declarations[N]['read']>
  : Declarations[N]['read'];

/** A writable field's schema in a body. */
export type WriteSchema<N extends WritableField> = Declarations[N] extends { nullable: true }
  ? TNullable<Declarations[N]['write']>
  : Declarations[N]['write'];

/** `schema`, or null besides where the field is nullable. */
export function orNull(name: FieldName, schema: TSchema): TSchema {
  return DECLARED[name].nullable === true ? Nullable(schema as TSchema & { type: string }) : schema;
}

/** A field's value in a server. */
export type FieldValue<N extends FieldName> = Static<ReadSchema<N>>;

/** A statuses' union as the plain text its column holds. */
type Widen<T> = T extends string ? string : T;

/** A server's fields as their columns hold them: the JSON ones as text. */
export type ServerColumns = {
  [N in FieldName]: Declarations[N]['column'] extends { json: true } ? string : Widen<FieldValue<N>>;
};

/** The values a client writes, as the API has them. */
export type WrittenValues = { [N in WritableField]: FieldValue<N> };

/** The values a write stores, as the repository takes them (statuses as plain text). */
export type WritableValues = { [N in WritableField]: Widen<FieldValue<N>> };

/** A new server's value of a field its client left out. */
export function defaultValue(name: FieldName): unknown {
  const value = DECLARED[name].default;
  // Arrays and objects are copied: no two servers share one.
  if (Array.isArray(value)) {
    return [...(value as unknown[])];
  }
  return typeof value === 'object' && value !== null ? { ...value } : value;
}

/** A new server's values of the fields a client may leave out. */
export function defaultValues(): Omit<WrittenValues, RequiredField> {
  const values: Record<string, unknown> = {};
  for (const name of WRITABLE_FIELDS) {
    if (DECLARED[name].required !== true) {
      values[name] = defaultValue(name);
    }
  }
  return values as Omit<WrittenValues, RequiredField>;
}
