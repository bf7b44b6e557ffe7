import Type, { type Static, type TArray, type TInteger, type TSchema, type TUnsafe } from 'typebox';
import { CUSTOM_FIELD_NAME_PATTERN } from '../custom-fields/custom-fields.schemas.js';
import { DECLARED, type Declarations, FIELD_NAMES, type FieldName } from '../servers/server-fields.js';
import { Nullable } from '../shared/schemas.js';

/**
 * A string from the inventory, in the form Ansible's JSON loader reads as an unsafe string
 * (`ansible.parsing.ajson.AnsibleJSONDecoder`): Ansible never templates it, so that `{{ ... }}` in a
 * server's notes prints as written instead of running on the controller.
 */
export const UnsafeString = Type.Object(
  { __ansible_unsafe: Type.String() },
  { additionalProperties: false, description: 'A string Ansible loads as unsafe: never templated' },
);
export type UnsafeString = Static<typeof UnsafeString>;

/** The fields that are host variables, `server_<name>` (`ansible.variable` in src/servers/server-fields.ts). */
export type VariableField = {
  [N in FieldName]: Declarations[N] extends { ansible: { variable: true } } ? N : never;
}[FieldName];
export const VARIABLE_FIELDS = FIELD_NAMES.filter(
  (name) => DECLARED[name].ansible?.variable === true,
) as VariableField[];

/** A host variable's schema: the field's value, with each string an unsafe string. */
type VariableSchema<N extends FieldName> = Declarations[N]['read'] extends TInteger
  ? TInteger
  : Declarations[N]['read'] extends TArray
    ? TArray<typeof UnsafeString>
    : Declarations[N] extends { nullable: true }
      ? TUnsafe<UnsafeString | null>
      : typeof UnsafeString;

function variableSchema(name: FieldName): TSchema {
  const { read, nullable } = DECLARED[name] as { read: { type?: unknown; minimum?: number; maximum?: number } } & {
    nullable?: true;
  };
  if (read.type === 'integer') {
    return Type.Integer({ minimum: read.minimum, maximum: read.maximum });
  }
  if (read.type === 'array') {
    return Type.Array(UnsafeString);
  }
  return nullable === true ? Nullable(UnsafeString) : UnsafeString;
}

/** The prefix of a custom field's variable, `server_cf_<name>`: no fixed field's name starts with `cf_`. */
export const CUSTOM_VARIABLE_PREFIX = 'server_cf_';

/**
 * The names a host's variables may have: the fixed ones, and a custom field's, the prefix and the
 * field's name (lowercase letters, digits and underscores, starting with a letter), which is always
 * a valid Ansible variable name.
 */
const VARIABLE_NAMES = `^(?:${[
  'ansible_host',
  ...VARIABLE_FIELDS.map((name) => `server_${name}`),
  `${CUSTOM_VARIABLE_PREFIX}${CUSTOM_FIELD_NAME_PATTERN.replace(/^\^|\$$/g, '')}`,
].join('|')})$`;

// The custom fields' variables are additionalProperties restricted by propertyNames rather than
// patternProperties: @fastify/swagger rewrites patternProperties into additionalProperties (OpenAPI
// 3.0's way), which would drop the names' pattern from the document.
export const AnsibleHostVars = Type.Object(
  {
    ansible_host: UnsafeString,
    ...(Object.fromEntries(VARIABLE_FIELDS.map((name) => [`server_${name}`, variableSchema(name)])) as {
      [N in VariableField as `server_${N}`]: VariableSchema<N>;
    }),
  },
  {
    additionalProperties: Type.Union([UnsafeString, Type.Number(), Type.Boolean()], {
      description: 'The value of a custom field, `server_cf_<name>`; absent when the server has none',
    }),
    propertyNames: { pattern: VARIABLE_NAMES },
    description:
      "A host's variables, `server_cf_<name>` for each custom field with a value; every string is an unsafe string",
  },
);
export type AnsibleHostVars = Static<typeof AnsibleHostVars>;

export const AnsibleGroup = Type.Object({ hosts: Type.Array(Type.String()) }, { additionalProperties: false });

export const AnsibleInventory = Type.Object(
  {
    _meta: Type.Object(
      { hostvars: Type.Record(Type.String(), AnsibleHostVars, { description: 'By host name' }) },
      { additionalProperties: false },
    ),
    all: Type.Object(
      { children: Type.Array(Type.String(), { description: 'ungrouped, then every group by name' }) },
      { additionalProperties: false },
    ),
    ungrouped: AnsibleGroup,
  },
  {
    additionalProperties: AnsibleGroup,
    description: 'The inventory in `ansible-inventory --list` form: the groups sit beside _meta, all and ungrouped',
  },
);
/** Static<> leaves out the schema of additionalProperties: the groups beside the fixed keys. */
export type AnsibleInventory = Static<typeof AnsibleInventory> & Record<string, unknown>;
