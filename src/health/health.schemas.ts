import Type from 'typebox';

export const Health = Type.Object(
  {
    status: Type.Literal('OK'),
    version: Type.Literal('1.0', { description: 'The API version' }),
  },
  { additionalProperties: false },
);

export const Readiness = Type.Object(
  {
    status: Type.Literal('READY'),
  },
  { additionalProperties: false, description: 'The database answers: the process can take traffic' },
);
