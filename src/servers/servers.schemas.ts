import Type, { type Static } from 'typebox';
import { Nullable } from '../shared/schemas.js';

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

const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339, UTC' });

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
  { additionalProperties: false, description: 'A server of the inventory' },
);
export type Server = Static<typeof Server>;

export const ServerList = Type.Object(
  {
    servers: Type.Array(Server, { description: 'The servers, ordered by id' }),
    count: Type.Integer({ minimum: 0, description: 'How many servers match the request in all' }),
  },
  { additionalProperties: false },
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

/** No query parameters are accepted yet: an unknown one is a 400, never silently ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });
