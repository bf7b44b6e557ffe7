import Type, { type Static } from 'typebox';
import { SeqPageQuery, Timestamp } from '../shared/schemas.js';

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
