import type { BodyExamples } from '../plugins/openapi/operations.js';
import type { CreateTokenBody, RotateTokenBody, Token, TokenWithSecret } from './tokens.schemas.js';

// Examples of the bodies of the token routes, published in the OpenAPI document; "Try it out" in /docs
// pre-fills the first of each. The secrets are made up: real ones are random and shown once.

const CREATED_AT = '2026-03-02T09:30:00.000Z';

const DEPLOY_BOT: Token = {
  name: 'deploy-bot',
  scope: 'write',
  status: 'active',
  source: 'database',
  created_at: CREATED_AT,
  expires_at: '2026-05-31T09:30:00.000Z',
  last_used_at: null,
  revoked_at: null,
  grace_until: null,
};

export const createTokenExamples: BodyExamples = {
  automation: {
    summary: 'A write token for an automation, valid 90 days',
    value: { name: 'deploy-bot', scope: 'write', expires_in_days: 90 } satisfies CreateTokenBody,
  },
  reader: {
    summary: 'A read token that never expires',
    value: { name: 'dashboard', scope: 'read' } satisfies CreateTokenBody,
  },
};

export const createdTokenExamples: BodyExamples = {
  created: {
    summary: 'The new token and its secret, shown this once',
    value: { secret: `inv_${'Zx3'.repeat(14)}Q`, token: DEPLOY_BOT } satisfies TokenWithSecret,
  },
};

export const rotateTokenExamples: BodyExamples = {
  withGrace: {
    summary: 'A new secret; the old one keeps working one hour more',
    value: { grace_seconds: 3600 } satisfies RotateTokenBody,
  },
  now: {
    summary: 'A new secret; the old one stops now',
    value: { grace_seconds: 0 } satisfies RotateTokenBody,
  },
};

export const rotatedTokenExamples: BodyExamples = {
  rotated: {
    summary: 'The new secret, shown this once; the old one works until grace_until',
    value: {
      secret: `inv_${'Kq7'.repeat(14)}w`,
      token: { ...DEPLOY_BOT, last_used_at: '2026-03-02T10:00:00.000Z', grace_until: '2026-03-02T11:00:00.000Z' },
    } satisfies TokenWithSecret,
  },
};
