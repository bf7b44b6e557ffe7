import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { errorResponses } from '../shared/schemas.js';
import {
  CreateTokenBody,
  RotateTokenBody,
  Token,
  TokenEventList,
  TokenEventsQuery,
  TokenList,
  TokenNameParams,
  TokenWithSecret,
} from './tokens.schemas.js';
import type { Principal, TokensService } from './tokens.service.js';
import {
  createTokenExamples,
  createdTokenExamples,
  rotateTokenExamples,
  rotatedTokenExamples,
} from './tokens.examples.js';

export interface TokensRoutesOptions {
  service: TokensService;
}

const NoQuery = Type.Object({}, { additionalProperties: false });

/** The authenticated caller. The auth plugin has checked the token of every route here. */
function callerOf(request: FastifyRequest): Principal {
  if (request.principal === null) {
    throw new Error('a token route ran without an authenticated principal');
  }
  return request.principal;
}

/** One log line per token change: which token, what happened, who did it. Never a secret. */
function logChange(request: FastifyRequest, token: string, action: 'create' | 'rotate' | 'revoke', actor: string) {
  request.log.info({ tokenChange: { token, action, actor } }, 'token changed');
}

/** A rotation's body is optional: no body is `{}` (every field has a default). */
async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

const SECRET_NOTE =
  'The answer holds the secret: the only time the API shows it. It is never logged and cannot be shown again.';

/** Tokens over the API: admins manage every token; any token reads and rotates itself. */
export const tokensRoutes: FastifyPluginAsyncTypebox<TokensRoutesOptions> = async (app, { service }) => {
  app.get(
    '/tokens',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listTokens',
        tags: ['tokens'],
        summary: 'List the tokens (admin)',
        description:
          'Every token, revoked and expired ones included, the bootstrap token first when one is configured. ' +
          'Never a secret, never its hash.',
        querystring: NoQuery,
        response: { 200: TokenList, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async () => ({ tokens: await service.list() }),
  );

  app.post(
    '/tokens',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createToken',
        tags: ['tokens'],
        summary: 'Create a token (admin)',
        description: `A name is never reused, not even a revoked one (409). ${SECRET_NOTE}`,
        querystring: NoQuery,
        body: CreateTokenBody,
        bodyExamples: createTokenExamples,
        responseExamples: { 201: createdTokenExamples },
        response: { 201: TokenWithSecret, ...errorResponses(400, 401, 403, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const actor = callerOf(request).name;
      const { name, scope, expires_in_days: expiresInDays } = request.body;
      const created = await service.create({
        name,
        scope,
        actor,
        ...(expiresInDays === undefined ? {} : { expiresInDays }),
      });
      logChange(request, name, 'create', actor);
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    '/tokens/self',
    {
      config: { scope: 'read', tokenRequired: true },
      schema: {
        operationId: 'getOwnToken',
        tags: ['tokens'],
        summary: 'Describe the token of this request (any scope)',
        description: 'Its name, scope, expiry and grace period: what an automation checks before its token expires.',
        querystring: NoQuery,
        response: { 200: Token, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => service.describe(callerOf(request).name),
  );

  app.post(
    '/tokens/self/rotate',
    {
      config: { scope: 'read', tokenRequired: true },
      preValidation: noBodyIsEmpty,
      schema: {
        operationId: 'rotateOwnToken',
        tags: ['tokens'],
        summary: 'Rotate the token of this request (any scope)',
        description:
          'A new secret for the same name and scope; the one sent keeps working for `grace_seconds`, so that ' +
          `a running automation can switch without downtime. ${SECRET_NOTE}`,
        querystring: NoQuery,
        body: RotateTokenBody,
        bodyExamples: rotateTokenExamples,
        responseExamples: { 200: rotatedTokenExamples },
        response: { 200: TokenWithSecret, ...errorResponses(400, 401, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const { name } = callerOf(request);
      const rotated = await service.rotate(name, { graceSeconds: request.body.grace_seconds ?? 0, actor: name });
      logChange(request, name, 'rotate', name);
      return reply.header('cache-control', 'no-store').send(rotated);
    },
  );

  app.get(
    '/tokens/events',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listTokenEvents',
        tags: ['tokens'],
        summary: 'The history of the tokens (admin)',
        description:
          'Every creation, rotation and revocation, through the API or the CLI, in seq order: which token, ' +
          'who did it, when. Page with `after=<last seq seen>`.',
        querystring: TokenEventsQuery,
        response: { 200: TokenEventList, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { after = 0, limit = 100 } = request.query;
      return { events: await service.events(after, limit) };
    },
  );

  app.post(
    '/tokens/:name/rotate',
    {
      config: { scope: 'admin' },
      preValidation: noBodyIsEmpty,
      schema: {
        operationId: 'rotateToken',
        tags: ['tokens'],
        summary: 'Rotate a token (admin)',
        description:
          'A new secret for the same name and scope; the current one keeps working for `grace_seconds` ' +
          `(0 to 7 days, default 0). The bootstrap token cannot be rotated here (409). ${SECRET_NOTE}`,
        params: TokenNameParams,
        querystring: NoQuery,
        body: RotateTokenBody,
        bodyExamples: rotateTokenExamples,
        responseExamples: { 200: rotatedTokenExamples },
        response: { 200: TokenWithSecret, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const actor = callerOf(request).name;
      const { name } = request.params;
      const rotated = await service.rotate(name, { graceSeconds: request.body.grace_seconds ?? 0, actor });
      logChange(request, name, 'rotate', actor);
      return reply.header('cache-control', 'no-store').send(rotated);
    },
  );

  app.delete(
    '/tokens/:name',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'revokeToken',
        tags: ['tokens'],
        summary: 'Revoke a token (admin)',
        description:
          'At once, every secret of it (one in a grace period too). The token stays in the list as revoked. ' +
          'The bootstrap token cannot be revoked here (409): it comes from the environment.',
        params: TokenNameParams,
        querystring: NoQuery,
        response: { 200: Token, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => {
      const actor = callerOf(request).name;
      const { name } = request.params;
      const revoked = await service.revoke(name, actor);
      logChange(request, name, 'revoke', actor);
      return revoked;
    },
  );
};
