import Type, { type Static } from 'typebox';
import { HOSTNAME_PATTERN, RESERVED_HOSTNAMES, RESERVED_HOSTNAME_PATTERN } from './hostnames.js';
import { MAX_LABEL_LENGTH, MAX_RAW_LABEL_LENGTH } from './labels.js';

// The schemas of the values of a server's fields, with their limits and the messages that say what a
// value must be. The declaration of the fields (server-fields.ts) gives each field its own.

export const SERVER_STATUSES = ['up', 'down', 'maintenance', 'decommissioned'] as const;

/** The largest id the store hands out: ids are 32-bit on every supported database. */
export const MAX_SERVER_ID = 2_147_483_647;

export const ServerStatus = Type.Enum(SERVER_STATUSES, {
  description: 'up, down, maintenance or decommissioned',
});
export type ServerStatus = Static<typeof ServerStatus>;

export const Hostname = Type.String({
  maxLength: 253,
  pattern: HOSTNAME_PATTERN,
  // `type` inside `not`, or a number would fail `not` (a pattern ignores non-strings) as well as `type`.
  not: { type: 'string', pattern: RESERVED_HOSTNAME_PATTERN },
  description:
    'An RFC 1123 host name, stored in lowercase; unique regardless of case. Names that Ansible or the ' +
    `controller's resolver treat specially are refused: ${RESERVED_HOSTNAMES.join(', ')}`,
  examples: ['web-prod-01'],
  errorMessage: {
    not: `is reserved by Ansible or names the local machine (${RESERVED_HOSTNAMES.join(', ')}): choose another host name`,
    _:
      'must be an RFC 1123 host name of at most 253 characters: dot-separated labels of 1 to 63 letters, ' +
      'digits and hyphens, neither starting nor ending with a hyphen, the last one not all digits',
  },
});

export const IpAddress = Type.String({
  maxLength: 45,
  format: 'ip-address',
  description:
    'An IPv4 address in dotted decimal or an IPv6 address, stored in canonical form (RFC 5952); unique. ' +
    'Leading zeros in IPv4 octets, zone ids and IPv4-mapped IPv6 addresses are refused.',
  examples: ['10.0.0.1', '2001:db8::1'],
  errorMessage: 'must be an IPv4 address without leading zeros or an IPv6 address without a zone id',
});

/**
 * A label (environment, role, location, os): starts with a letter or a digit, ends without a space,
 * holds no comma (the list's filters separate values with commas) and no control character. Its length
 * and the rest of its rules apply to its NFC form, in ./labels.ts.
 */
export const LABEL_PATTERN = '^[\\p{L}\\p{N}](?:[^\\p{C},]*[^\\p{C}\\s,])?$';

/** A label's write schema (environment, role, location, os); its field adds null. */
export const Label = Type.String({
  minLength: 1,
  maxLength: MAX_RAW_LABEL_LENGTH,
  pattern: LABEL_PATTERN,
  description:
    `Stored in NFC, at most ${MAX_LABEL_LENGTH} characters in that form; no invisible character, no white space ` +
    'but single spaces between words, letters of one script (UTS #39 Highly Restrictive)',
  errorMessage:
    'must be 1 to 64 printable characters, starting with a letter or a digit, without commas or a trailing space, or null',
});

/** A tag: 1 to 63 lowercase letters, digits, dots, underscores or hyphens, starting with a letter or digit. */
export const TAG_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';

export const Tags = Type.Array(
  Type.String({
    pattern: TAG_PATTERN,
    errorMessage:
      'must be 1 to 63 lowercase letters, digits, dots, underscores or hyphens, starting with a letter or digit',
  }),
  {
    maxItems: 32,
    uniqueItems: true,
    description: 'At most 32 distinct tags',
    errorMessage: { maxItems: 'must have at most 32 tags', uniqueItems: 'must not repeat a tag' },
  },
);

/**
 * Free text; of the control characters only tab and line breaks. PostgreSQL's text cannot hold a NUL
 * at all, and the others garble the terminals, logs and exports the notes end up in.
 */
export const Notes = Type.String({
  maxLength: 4096,
  pattern: '^[\\t\\n\\r\\P{Cc}]*$',
  errorMessage: 'must be at most 4096 characters, with no control character but tab and line breaks, or null',
});

/** A status as a client writes it. */
export const StatusInput = Type.Enum(SERVER_STATUSES, {
  errorMessage: 'must be one of up, down, maintenance, decommissioned',
});

/** The value of the `managed_by` filter that finds servers no source owns: never a source's name. */
export const NO_SOURCE = '(none)';

/** The name of a source that syncs servers (an apply's `source`, a server's `managed_by`). */
export const SOURCE_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

export const SourceName = Type.String({
  pattern: SOURCE_PATTERN,
  description:
    'A source: 1 to 64 lowercase letters, digits, dots, underscores or hyphens, starting with a letter or digit',
  examples: ['vcenter-sync'],
  errorMessage:
    'must be 1 to 64 lowercase letters, digits, dots, underscores or hyphens, starting with a letter or digit',
});
