import Type, { type Static } from 'typebox';
import { SeqPageQuery, Timestamp } from '../shared/schemas.js';
import { Server } from '../servers/servers.schemas.js';

export const CHANGE_ACTIONS = ['create', 'update', 'delete'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/** The event of each action, as the change stream names it (and webhooks do). */
export const CHANGE_EVENTS = {
  create: 'server.created',
  update: 'server.updated',
  delete: 'server.deleted',
} as const satisfies Record<ChangeAction, string>;

export const Change = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'Position in the change feed; grows with every change' }),
    server_id: Type.Integer({ minimum: 1 }),
    action: Type.Enum(CHANGE_ACTIONS),
    at: Timestamp,
    actor: Type.String({ description: 'The name of the token that made the change' }),
    changes: Type.Record(
      Type.String(),
      Type.Object({ from: Type.Unknown(), to: Type.Unknown() }, { additionalProperties: false }),
      { description: 'Each changed field, with its value before and after' },
    ),
    // A switch on the value's type, which the document publishes as the union Server | null: the
    // serialiser then checks only the type, where a union would validate every server it writes.
    server: Type.Unsafe<Server | null>({
      description:
        'The server as `GET /api/v1/servers/{id}` answered right after the change, or right before it for a ' +
        'delete; null for changes recorded before the inventory kept this',
      if: { type: 'object' },
      then: Server,
      else: Type.Null(),
    }),
  },
  { additionalProperties: false, title: 'Change' },
);
export type Change = Static<typeof Change>;

export const ChangeList = Type.Object(
  { changes: Type.Array(Change) },
  { additionalProperties: false, title: 'ChangeList' },
);
export type ChangeList = Static<typeof ChangeList>;

const ChangesPage = SeqPageQuery('changes');

/**
 * The feed's page: `after` and `before` bound the seqs, `order` says which end the page starts from. A
 * reader that shows the latest changes (the console's activity) asks `order=desc`, then `before=` the
 * oldest seq it holds for the page before.
 */
export const ChangesQuery = Type.Object(
  {
    ...ChangesPage.properties,
    before: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Only changes with a smaller seq' }),
    ),
    order: Type.Optional(
      Type.Enum(['asc', 'desc'], {
        default: 'asc',
        description: 'asc: oldest first (the default, to follow the feed); desc: newest first (to show the latest)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ChangesQuery = Static<typeof ChangesQuery>;

/** The largest seq: a 32-bit integer on both databases. */
export const MAX_SEQ = 2_147_483_647;

/** Where a stream starts, in the query: after this seq. */
export const StreamQuery = Type.Object(
  {
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_SEQ,
        description:
          'Send the changes after this seq (0: the whole feed); without it, and without Last-Event-ID, only ' +
          'the changes from now on. Last-Event-ID wins over it.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** What a Last-Event-ID must be: a seq, as the stream's event ids are. */
export const LAST_EVENT_ID_MESSAGE = `must be the id of an event of the stream: a seq from 0 to ${MAX_SEQ}`;

/** Where a stream starts, in the header a reconnecting EventSource sends: after the last event it received. */
export const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      pattern: '^(0|[1-9][0-9]{0,9})$',
      errorMessage: LAST_EVENT_ID_MESSAGE,
      description:
        'The id of the last event received: the stream goes on after it. An EventSource sends it by itself ' +
        'when it reconnects. Wins over `after`.',
      examples: ['42'],
    }),
  ),
});
