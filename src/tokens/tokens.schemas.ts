import Type, { type Static } from 'typebox';
import { Nullable, SeqPageQuery, Timestamp } from '../shared/schemas.js';

/** The scopes, narrowest first: each allows what the ones before it allow. */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const TOKEN_STATUSES = ['active', 'expired', 'revoked'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

export const TOKEN_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
/** The longest grace period a rotation gives the previous secret: 7 days. */
export const MAX_GRACE_SECONDS = 7 * 86_400;
/** The longest lifetime a token can be given, in days (about 27 years). */
export const MAX_EXPIRES_IN_DAYS = 9999;

export const TokenName = Type.String({
  pattern: TOKEN_NAME_PATTERN,
  description: '1 to 64 letters, digits, dots, underscores or hyphens; `bootstrap` and `self` are reserved',
  examples: ['deploy-bot'],
  errorMessage: 'must be 1 to 64 letters, digits, dots, underscores or hyphens, starting with a letter or digit',
});

export const TokenScopeSchema = Type.Enum(TOKEN_SCOPES, {
  description: '`read` reads; `write` also changes servers; `admin` also manages tokens',
});

/** A token as the API shows it: never its secret, never the secret's hash. */
export const Token = Type.Object(
  {
    name: Type.String({ description: 'The token name, recorded as the actor of what it changes' }),
    scope: TokenScopeSchema,
    status: Type.Enum(TOKEN_STATUSES),
    source: Type.Enum(['database', 'environment'], {
      description: '`environment`: the bootstrap token, from INVENTORY_BOOTSTRAP_TOKEN(_FILE)',
    }),
    created_at: Nullable({ ...Timestamp, description: 'null for the bootstrap token' }),
    expires_at: Nullable({ ...Timestamp, description: 'null: never expires' }),
    last_used_at: Nullable({ ...Timestamp, description: 'Updated at most once a minute; null: never used' }),
    revoked_at: Nullable(Timestamp),
    grace_until: Nullable({
      ...Timestamp,
      description: 'The secret before the last rotation keeps working until then; null: only the current one works',
    }),
  },
  { additionalProperties: false, title: 'Token' },
);
export type Token = Static<typeof Token>;

export const TokenList = Type.Object(
  { tokens: Type.Array(Token) },
  { additionalProperties: false, title: 'TokenList' },
);
export type TokenList = Static<typeof TokenList>;

/** The answer of a creation or a rotation: the only time the API shows a secret. */
export const TokenWithSecret = Type.Object(
  {
    secret: Type.String({
      pattern: '^inv_[A-Za-z0-9_-]{43}$',
      description: 'The token to send as `Authorization: Bearer <secret>`. Shown this once: store it now',
    }),
    token: Token,
  },
  { additionalProperties: false, title: 'TokenWithSecret' },
);
export type TokenWithSecret = Static<typeof TokenWithSecret>;

export const CreateTokenBody = Type.Object(
  {
    name: TokenName,
    scope: TokenScopeSchema,
    expires_in_days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_EXPIRES_IN_DAYS,
        description: 'The token stops working this many days from now; without it, it never expires',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateTokenBody = Static<typeof CreateTokenBody>;

export const RotateTokenBody = Type.Object(
  {
    grace_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_GRACE_SECONDS,
        default: 0,
        description:
          'How long the current secret keeps working beside the new one (0 to 604800, 7 days); 0: it stops now',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RotateTokenBody = Static<typeof RotateTokenBody>;

export const TokenNameParams = Type.Object({ name: TokenName }, { additionalProperties: false });

export const TOKEN_ACTIONS = ['create', 'rotate', 'revoke'] as const;
export type TokenAction = (typeof TOKEN_ACTIONS)[number];

export const TokenEvent = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'Position in the token history; grows with every event' }),
    at: Timestamp,
    token: Type.String({ description: 'The name of the token the event is about' }),
    action: Type.Enum(TOKEN_ACTIONS),
    actor: Type.String({ description: 'The name of the token that made the change, or `(cli)` for the command line' }),
    scope: Type.Optional(TokenScopeSchema),
    expires_at: Type.Optional(Nullable(Timestamp)),
    grace_until: Type.Optional(Nullable(Timestamp)),
  },
  { additionalProperties: false, title: 'TokenEvent' },
);
export type TokenEvent = Static<typeof TokenEvent>;

export const TokenEventList = Type.Object(
  { events: Type.Array(TokenEvent) },
  { additionalProperties: false, title: 'TokenEventList' },
);
export type TokenEventList = Static<typeof TokenEventList>;

export const TokenEventsQuery = SeqPageQuery('events');
