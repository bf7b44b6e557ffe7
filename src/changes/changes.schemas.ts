import Type, { type Static } from 'typebox';
import { SeqPageQuery, Timestamp } from '../shared/schemas.js';
import { Server } from '../servers/servers.schemas.js';

export const CHANGE_ACTIONS = ['create', 'update', 'delete'] as const;

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

export const ChangesQuery = SeqPageQuery('changes');
