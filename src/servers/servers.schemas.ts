import Type, { type Static } from 'typebox';
import { Nullable } from '../shared/schemas.js';
import { MAX_LABEL_LENGTH, MAX_RAW_LABEL_LENGTH } from './labels.js';

export const SERVER_STATUSES = ['up', 'down', 'maintenance', 'decommissioned'] as const;

/** The largest id the store hands out: ids are 32-bit on every supported database. */
export const MAX_SERVER_ID = 2_147_483_647;

/**
 * 1 to 2147483647 in plain decimal. Ids arrive as path strings and are matched exactly rather than
 * coerced, so that `0x10`, `1e3`, ` 1` or `1.0` are refused instead of quietly naming another server.
 */
const SERVER_ID_PATTERN =
  '^(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}' +
  '|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])$';

export const ServerStatus = Type.Enum(SERVER_STATUSES, {
  description: 'up, down, maintenance or decommissioned',
});
export type ServerStatus = Static<typeof ServerStatus>;

export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339, UTC' });

export const Server = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: MAX_SERVER_ID, description: 'Assigned by the store' }),
    hostname: Type.String({ examples: ['web-prod-01'] }),
    ip: Type.String({ description: 'IPv4 or IPv6 address', examples: ['10.0.0.1'] }),
    status: ServerStatus,
    environment: Nullable(Type.String({ examples: ['production'] })),
    role: Nullable(Type.String({ examples: ['web'] })),
    location: Nullable(Type.String({ examples: ['eu-west-1a'] })),
    os: Nullable(Type.String({ examples: ['debian-12'] })),
    tags: Type.Array(Type.String(), { examples: [['frontend', 'pci']] }),
    notes: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false, title: 'Server', description: 'A server of the inventory' },
);
export type Server = Static<typeof Server>;

export const ServerList = Type.Object(
  {
    servers: Type.Array(Server, { description: 'The servers, ordered by id' }),
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

const HOSTNAME_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

// The last label is never all digits (RFC 1123 2.1, RFC 3696 2): "10.0.0.1" or "42" would be
// read as an address by the tools that consume the inventory.
export const HOSTNAME_PATTERN = `^(?=.{1,253}$)(?:${HOSTNAME_LABEL}\\.)*(?![0-9]+$)${HOSTNAME_LABEL}$`;

/**
 * A label (environment, role, location, os): starts with a letter or a digit, ends without a space,
 * holds no comma (the list's filters separate values with commas) and no control character. Its length
 * and the rest of its rules apply to its NFC form, in ./labels.ts.
 */
export const LABEL_PATTERN = '^[\\p{L}\\p{N}](?:[^\\p{C},]*[^\\p{C}\\s,])?$';

/**
 * Host names a server may not take, because the inventory feeds them to Ansible as host names:
 * - `all` and `ungrouped` are Ansible's built-in groups, and `all` is also the pattern of every host;
 * - `localhost` is Ansible's implicit localhost (`C.LOCALHOST` in ansible-core; its other names,
 *   127.0.0.1 and ::1, are not host names): an inventory host of that name replaces it, so that
 *   `hosts: localhost` plays, `delegate_to: localhost` and `local_action` run against the server;
 * - the others are names the controller resolves to itself, which playbooks use to mean the
 *   controller (`delegate_to: localhost6`): an inventory host of that name would take its place.
 *   `localhost.localdomain` (systemd's nss-myhostname and Red Hat's default /etc/hosts),
 *   `localhost4`, `localhost6` and their `.localdomain4`/`.localdomain6` forms (Red Hat's default
 *   /etc/hosts), `ip6-localhost` and `ip6-loopback` (Debian's default /etc/hosts).
 * Names below `localhost.` and `localhost.localdomain.` resolve to loopback too (RFC 6761 6.3,
 * nss-myhostname), hence the `*.` entries. Group names can never clash with host names: every
 * group name holds an underscore, which RFC 1123 host names do not.
 */
export const RESERVED_HOSTNAMES = [
  'all',
  'ungrouped',
  'localhost',
  '*.localhost',
  'localhost.localdomain',
  '*.localhost.localdomain',
  'localhost4',
  'localhost4.localdomain4',
  'localhost6',
  'localhost6.localdomain6',
  'ip6-localhost',
  'ip6-loopback',
] as const;

/** `localhost` -> `[Ll][Oo]...`: JSON Schema patterns have no case-insensitive flag. */
function caseless(name: string): string {
  return name
    .replace(/[a-z]/g, (c) => `[${c.toUpperCase()}${c}]`)
    .replace(/\./g, '\\.')
    .replace('*', '.+');
}

/** Matches every reserved host name, in any case. */
export const RESERVED_HOSTNAME_PATTERN = `^(?:${RESERVED_HOSTNAMES.map(caseless).join('|')})$`;
const RESERVED_HOSTNAME = new RegExp(RESERVED_HOSTNAME_PATTERN, 'u');

/** Whether Ansible or the controller's resolver gives this host name a meaning of its own. */
export function isReservedHostname(hostname: string): boolean {
  return RESERVED_HOSTNAME.test(hostname);
}

const Hostname = Type.String({
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

const IpAddress = Type.String({
  maxLength: 45,
  format: 'ip-address',
  description:
    'An IPv4 address in dotted decimal or an IPv6 address, stored in canonical form (RFC 5952); unique. ' +
    'Leading zeros in IPv4 octets, zone ids and IPv4-mapped IPv6 addresses are refused.',
  examples: ['10.0.0.1', '2001:db8::1'],
  errorMessage: 'must be an IPv4 address without leading zeros or an IPv6 address without a zone id',
});

const Label = Nullable(
  Type.String({
    minLength: 1,
    maxLength: MAX_RAW_LABEL_LENGTH,
    pattern: LABEL_PATTERN,
    description:
      `Stored in NFC, at most ${MAX_LABEL_LENGTH} characters in that form; no invisible character, no white space ` +
      'but single spaces between words, letters of one script (UTS #39 Highly Restrictive)',
    errorMessage:
      'must be 1 to 64 printable characters, starting with a letter or a digit, without commas or a trailing space, or null',
  }),
);

/** A tag: 1 to 63 lowercase letters, digits, dots, underscores or hyphens, starting with a letter or digit. */
export const TAG_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';

const Tags = Type.Array(
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
const Notes = Nullable(
  Type.String({
    maxLength: 4096,
    pattern: '^[\\t\\n\\r\\P{Cc}]*$',
    errorMessage: 'must be at most 4096 characters, with no control character but tab and line breaks, or null',
  }),
);

const ReadOnly = Type.Optional(Type.Unsafe<never>({ not: {}, errorMessage: 'is read-only' }));

/** The fields a client may write, all optional: PATCH's body (JSON Merge Patch). */
const writableFields = {
  hostname: Hostname,
  ip: IpAddress,
  status: Type.Enum(SERVER_STATUSES, { errorMessage: 'must be one of up, down, maintenance, decommissioned' }),
  environment: Label,
  role: Label,
  location: Label,
  os: Label,
  tags: Tags,
  notes: Notes,
  id: ReadOnly,
  created_at: ReadOnly,
  updated_at: ReadOnly,
};

/** A server as a client writes it: POST's and PUT's body. Omitted fields take their defaults. */
export const ServerInput = Type.Object(
  {
    ...writableFields,
    hostname: writableFields.hostname,
    ip: writableFields.ip,
    status: Type.Optional(writableFields.status),
    environment: Type.Optional(Label),
    role: Type.Optional(Label),
    location: Type.Optional(Label),
    os: Type.Optional(Label),
    tags: Type.Optional(Tags),
    notes: Type.Optional(Notes),
  },
  { additionalProperties: false, title: 'ServerInput', description: 'A server; hostname and ip are required' },
);
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
export const ServerPatch = Type.Object(
  {
    ...writableFields,
    hostname: Type.Optional(Hostname),
    ip: Type.Optional(IpAddress),
    status: Type.Optional(writableFields.status),
    environment: Type.Optional(Label),
    role: Type.Optional(Label),
    location: Type.Optional(Label),
    os: Type.Optional(Label),
    tags: Type.Optional(Nullable(Tags)),
    notes: Type.Optional(Notes),
  },
  { additionalProperties: false, title: 'ServerPatch', description: 'A JSON Merge Patch of a server (RFC 7396)' },
);
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
  { additionalProperties: false, title: 'Summary' },
);
export type Summary = Static<typeof Summary>;
