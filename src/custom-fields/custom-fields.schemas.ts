import Type, { type Static } from 'typebox';
import { Nullable, SeqPageQuery, Timestamp } from '../shared/schemas.js';

// Custom fields: the definitions a team makes, and the values servers hold for them
// (custom-fields.values.ts checks the values; custom-fields.sql.ts filters and sorts by them).

export const CUSTOM_FIELD_TYPES = [
  'string',
  'integer',
  'number',
  'boolean',
  'date',
  'datetime',
  'url',
  'enum',
] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

/** A custom field's value, as a server holds it. */
export type CustomValue = string | number | boolean;

/** What names a custom field in a query parameter, a sort key and a CSV column: `cf_<name>`. */
export const CUSTOM_FIELD_PREFIX = 'cf_';

export const CUSTOM_FIELD_NAME_PATTERN = '^[a-z][a-z0-9_]{0,62}$';
/** The most definitions an inventory holds: each is an index that every write of a server updates. */
export const MAX_CUSTOM_FIELDS = 64;
/** The longest string value, and the largest max_length a definition may set. */
export const MAX_STRING_LENGTH = 4096;
export const MAX_URL_LENGTH = 2048;
/**
 * The longest pattern. Some work of compiling one is not in the program it makes (building Unicode
 * classes, case-folded): a pattern of 512 characters of them compiles in about 15 ms, of 1024 in 29 ms
 * (docs/benchmarks.md). Real patterns are shorter: a host name's is 81 characters, an IPv6 address's 408.
 */
export const MAX_PATTERN_LENGTH = 512;
export const MAX_CHOICES = 200;
/** A choice of an enum: like a label (it is counted by the summary and matched by filters). */
export const CHOICE_PATTERN = '^[\\p{L}\\p{N}](?:[^\\p{C},]{0,62}[^\\p{C}\\s,])?$';

/**
 * Names that a route of its own takes (GET /custom-fields/changes), and the one name of the pattern
 * that every JavaScript object has already (`constructor`, of Object.prototype).
 */
export const RESERVED_CUSTOM_FIELD_NAMES = ['changes', 'constructor'] as const;
/** Endings that the list's filters read as an operator (`cf_u__gte`): a name cannot end with one. */
export const RESERVED_CUSTOM_FIELD_ENDINGS = ['__gte', '__lte', '__empty'] as const;
const RESERVED = `${RESERVED_CUSTOM_FIELD_NAMES.join(', ')}, and names ending in ${RESERVED_CUSTOM_FIELD_ENDINGS.join(', ')}`;

export const CustomFieldName = Type.String({
  pattern: CUSTOM_FIELD_NAME_PATTERN,
  not: {
    type: 'string',
    pattern: `^(?:${RESERVED_CUSTOM_FIELD_NAMES.join('|')})$|(?:${RESERVED_CUSTOM_FIELD_ENDINGS.join('|')})$`,
  },
  description:
    '1 to 63 lowercase letters, digits or underscores, starting with a letter; unique, and never changes. ' +
    `Reserved: ${RESERVED}`,
  examples: ['rack'],
  errorMessage: {
    not: `is reserved (${RESERVED}): choose another name`,
    _: 'must be 1 to 63 lowercase letters, digits or underscores, starting with a letter',
  },
});

const Choices = Type.Array(
  Type.String({
    pattern: CHOICE_PATTERN,
    errorMessage:
      'must be 1 to 64 printable characters, starting with a letter or a digit, without commas or a trailing space',
  }),
  {
    minItems: 1,
    maxItems: MAX_CHOICES,
    uniqueItems: true,
    description: `enum only: the values allowed, 1 to ${MAX_CHOICES} distinct strings`,
    errorMessage: {
      minItems: 'must list at least one choice',
      maxItems: `must list at most ${MAX_CHOICES} choices`,
      uniqueItems: 'must not repeat a choice',
    },
  },
);

/** The properties of a definition that can change (all but its name and type). */
const specProperties = {
  description: Nullable(
    Type.String({
      maxLength: 1000,
      pattern: '^[\\t\\n\\r\\P{Cc}]*$',
      description: 'What the field holds, for people',
      errorMessage: 'must be at most 1000 characters, with no control character but tab and line breaks, or null',
    }),
  ),
  required: Type.Boolean({ description: 'Whether every server must have a value' }),
  default: Type.Unsafe<CustomValue | null>({
    type: ['string', 'number', 'boolean', 'null'],
    description: 'The value a server written without one takes (POST, PUT, apply): valid for the type; null for none',
  }),
  choices: Nullable(Choices),
  pattern: Nullable(
    Type.String({
      minLength: 1,
      maxLength: MAX_PATTERN_LENGTH,
      description:
        'string only: a regular expression in RE2 syntax that a value must contain a match of (anchor it with ' +
        '^ and $ to match the whole value). Matched in linear time; backreferences and lookaround are refused',
    }),
  ),
  max_length: Nullable(
    Type.Integer({
      minimum: 1,
      maximum: MAX_STRING_LENGTH,
      description: `string only: the most characters a value may have (${MAX_STRING_LENGTH} at most, and by default)`,
    }),
  ),
  minimum: Nullable(Type.Number({ description: 'integer and number only: the smallest value allowed' })),
  maximum: Nullable(Type.Number({ description: 'integer and number only: the largest value allowed' })),
};

/** What a definition says besides its name and type, as it is stored (custom_fields.spec). */
export interface CustomFieldSpec {
  description: string | null;
  required: boolean;
  default: CustomValue | null;
  choices: string[] | null;
  pattern: string | null;
  max_length: number | null;
  minimum: number | null;
  maximum: number | null;
}

/** A spec that says nothing: every property null (and not required), for a definition to fill in. */
export const NO_SPEC: Readonly<CustomFieldSpec> = Object.freeze({
  description: null,
  required: false,
  default: null,
  choices: null,
  pattern: null,
  max_length: null,
  minimum: null,
  maximum: null,
});

export const CustomField = Type.Object(
  {
    name: Type.String({ examples: ['rack'] }),
    type: Type.Enum(CUSTOM_FIELD_TYPES, {
      description:
        'string, integer, number, boolean, date (YYYY-MM-DD), datetime (RFC 3339, stored in UTC), url (http ' +
        'or https) or enum (one of `choices`)',
    }),
    ...specProperties,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false, title: 'CustomField', description: 'The definition of a custom field' },
);
export type CustomField = Static<typeof CustomField>;

export const CustomFieldList = Type.Object(
  { custom_fields: Type.Array(CustomField, { description: 'In the order they were made' }) },
  { additionalProperties: false, title: 'CustomFieldList' },
);
export type CustomFieldList = Static<typeof CustomFieldList>;

const optional = <T extends Record<string, Parameters<typeof Type.Optional>[0]>>(properties: T) =>
  Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])) as {
    [K in keyof T]: ReturnType<typeof Type.Optional<T[K]>>;
  };

/** A read-only property in a body: refused whatever its value. */
const Immutable = Type.Optional(
  Type.Unsafe<never>({ not: {}, errorMessage: 'cannot change: delete the field and define it again' }),
);

export const CreateCustomFieldBody = Type.Object(
  {
    name: CustomFieldName,
    type: Type.Enum(CUSTOM_FIELD_TYPES, {
      errorMessage: `must be one of ${CUSTOM_FIELD_TYPES.join(', ')}`,
    }),
    ...optional(specProperties),
  },
  { additionalProperties: false, title: 'CustomFieldInput' },
);
export type CreateCustomFieldBody = Static<typeof CreateCustomFieldBody>;

export const PatchCustomFieldBody = Type.Object(
  { name: Immutable, type: Immutable, ...optional(specProperties) },
  {
    additionalProperties: false,
    title: 'CustomFieldPatch',
    description: 'A JSON Merge Patch of a definition (RFC 7396): null clears a property; name and type never change',
  },
);
export type PatchCustomFieldBody = Static<typeof PatchCustomFieldBody>;

export const CustomFieldParams = Type.Object({ name: CustomFieldName }, { additionalProperties: false });

export const DeleteCustomFieldQuery = Type.Object(
  {
    force: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Also when servers hold values: removes them, and records that in each server\u2019s history',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CUSTOM_FIELD_ACTIONS = ['create', 'update', 'delete'] as const;

export const CustomFieldChange = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'Position in the definitions\u2019 feed; grows with every change' }),
    name: Type.String(),
    action: Type.Enum(CUSTOM_FIELD_ACTIONS),
    at: Timestamp,
    actor: Type.String({ description: 'The name of the token that made the change' }),
    changes: Type.Record(
      Type.String(),
      Type.Object({ from: Type.Unknown(), to: Type.Unknown() }, { additionalProperties: false }),
      {
        description:
          'Each changed property of the definition, with its value before and after; a forced delete adds ' +
          '`values_removed`, how many servers lost their value',
      },
    ),
  },
  { additionalProperties: false, title: 'CustomFieldChange' },
);
export type CustomFieldChange = Static<typeof CustomFieldChange>;

export const CustomFieldChangeList = Type.Object(
  { changes: Type.Array(CustomFieldChange) },
  { additionalProperties: false, title: 'CustomFieldChangeList' },
);
export type CustomFieldChangeList = Static<typeof CustomFieldChangeList>;

export const CustomFieldChangesQuery = SeqPageQuery('changes');

/** A server's values, as the API answers with them: a field without a value is absent. */
export const CustomValues = Type.Unsafe<Record<string, CustomValue>>({
  type: 'object',
  additionalProperties: { type: ['string', 'number', 'boolean'] },
  description:
    'The values of the custom fields (GET /api/v1/custom-fields defines them); a field without a value is absent',
  examples: [{ rack: 'R12', u: 14 }],
});

/** A server's values in a body: null (or leaving it out) means no value; PATCH merges them (RFC 7396). */
export const CustomValuesInput = Type.Unsafe<Record<string, CustomValue | null>>({
  type: 'object',
  propertyNames: { pattern: CUSTOM_FIELD_NAME_PATTERN },
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
  maxProperties: MAX_CUSTOM_FIELDS,
  description:
    'Values of defined custom fields; null or absent: no value. In PATCH, only the fields given change (null removes one)',
  examples: [{ rack: 'R12', u: 14 }],
  errorMessage: `must be an object of at most ${MAX_CUSTOM_FIELDS} custom fields, each a string, a number, a boolean or null`,
});
