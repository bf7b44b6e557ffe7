import type { BodyExamples } from '../plugins/openapi/operations.js';
import type { CreateCustomFieldBody, CustomField, PatchCustomFieldBody } from './custom-fields.schemas.js';

// Examples of the bodies of the custom-field routes, published in the OpenAPI document; "Try it out"
// in /docs pre-fills the first of each.

const AT = '2026-03-02T09:30:00.000Z';

const RACK: CustomField = {
  name: 'rack',
  type: 'string',
  description: 'Rack position, as R<row><column>',
  required: false,
  default: null,
  choices: null,
  pattern: '^R[0-9]{1,3}$',
  max_length: 8,
  minimum: null,
  maximum: null,
  created_at: AT,
  updated_at: AT,
};

export const createCustomFieldExamples: BodyExamples = {
  string: {
    summary: 'A string with a pattern',
    value: {
      name: 'rack',
      type: 'string',
      description: 'Rack position, as R<row><column>',
      pattern: '^R[0-9]{1,3}$',
      max_length: 8,
    } satisfies CreateCustomFieldBody,
  },
  integer: {
    summary: 'An integer within bounds',
    value: { name: 'rack_unit', type: 'integer', minimum: 1, maximum: 48 } satisfies CreateCustomFieldBody,
  },
  enum: {
    summary: 'A required enum with a default (servers without a value get it)',
    value: {
      name: 'backup_policy',
      type: 'enum',
      choices: ['none', 'daily', 'weekly'],
      required: true,
      default: 'daily',
    } satisfies CreateCustomFieldBody,
  },
};

export const createdCustomFieldExamples: BodyExamples = {
  created: { summary: 'The new definition', value: RACK },
};

export const patchCustomFieldExamples: BodyExamples = {
  widen: {
    summary: 'Allow longer values (values that would break the new rules make it a 409)',
    value: { max_length: 16, pattern: null } satisfies PatchCustomFieldBody,
  },
};

export const patchedCustomFieldExamples: BodyExamples = {
  patched: {
    summary: 'The definition after the change',
    value: { ...RACK, max_length: 16, pattern: null, updated_at: '2026-03-03T10:00:00.000Z' },
  },
};
