import Type from 'typebox';

export const Health = Type.Object(
  {
    status: Type.Literal('OK'),
    version: Type.Literal('1.0', { description: 'The API version' }),
  },
  { additionalProperties: false },
);
