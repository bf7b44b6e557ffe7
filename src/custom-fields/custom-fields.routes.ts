import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { MERGE_PATCH } from '../plugins/body-parsers.js';
import { errorResponses } from '../shared/schemas.js';
import {
  createCustomFieldExamples,
  createdCustomFieldExamples,
  patchCustomFieldExamples,
  patchedCustomFieldExamples,
} from './custom-fields.examples.js';
import {
  CreateCustomFieldBody,
  CustomField,
  CustomFieldChangeList,
  CustomFieldChangesQuery,
  CustomFieldList,
  CustomFieldParams,
  DeleteCustomFieldQuery,
  PatchCustomFieldBody,
} from './custom-fields.schemas.js';
import type { CustomFieldsService } from './custom-fields.service.js';

export interface CustomFieldsRoutesOptions {
  service: CustomFieldsService;
}

const NoQuery = Type.Object({}, { additionalProperties: false });

/** The token's name, recorded as the actor; `(anonymous)` cannot happen on these admin routes. */
function actorOf(request: FastifyRequest): string {
  if (request.principal === null) {
    throw new Error('a custom-field route that changes definitions ran without an authenticated principal');
  }
  return request.principal.name;
}

/** The definitions of the custom fields: read with any token, changed by admins. */
export const customFieldsRoutes: FastifyPluginAsyncTypebox<CustomFieldsRoutesOptions> = async (app, { service }) => {
  app.get(
    '/custom-fields',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listCustomFields',
        tags: ['custom-fields'],
        summary: 'List the custom fields',
        description: 'Every definition, in the order they were made (the order of the CSV columns `cf_<name>`).',
        querystring: NoQuery,
        response: { 200: CustomFieldList, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async () => ({ custom_fields: await service.list() }),
  );

  app.post(
    '/custom-fields',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createCustomField',
        tags: ['custom-fields'],
        summary: 'Define a custom field (admin)',
        description:
          'A required field needs a default while servers exist (409 otherwise): the servers without a value ' +
          'get it, and their history says so. At most 64 fields.',
        querystring: NoQuery,
        body: CreateCustomFieldBody,
        bodyExamples: createCustomFieldExamples,
        responseExamples: { 201: createdCustomFieldExamples },
        response: { 201: CustomField, ...errorResponses(400, 401, 403, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const created = await service.create(request.body, actorOf(request));
      return reply.code(201).header('location', `${app.prefix}/custom-fields/${created.name}`).send(created);
    },
  );

  app.get(
    '/custom-fields/changes',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listCustomFieldChanges',
        tags: ['custom-fields'],
        summary: 'The history of the definitions, in seq order',
        description:
          'Every creation, change and deletion of a definition: which property went from what to what, who ' +
          'did it, when. Page with `after=<last seq seen>`. The values of servers are in the change feed.',
        querystring: CustomFieldChangesQuery,
        response: { 200: CustomFieldChangeList, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { after = 0, limit = 100 } = request.query;
      return service.changes(after, limit);
    },
  );

  app.get(
    '/custom-fields/:name',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getCustomField',
        tags: ['custom-fields'],
        summary: 'Get a custom field',
        params: CustomFieldParams,
        querystring: NoQuery,
        response: { 200: CustomField, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => service.get(request.params.name),
  );

  app.patch(
    '/custom-fields/:name',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'updateCustomField',
        tags: ['custom-fields'],
        summary: 'Change a custom field (admin)',
        description:
          'A JSON Merge Patch: null clears a property; name and type never change. The values servers hold ' +
          'are checked against the new rules: a 409 names the first 10 servers they would break. Making a ' +
          'field required gives the servers without a value its default (409 without one).',
        consumes: [MERGE_PATCH, 'application/json'],
        params: CustomFieldParams,
        querystring: NoQuery,
        body: PatchCustomFieldBody,
        bodyExamples: patchCustomFieldExamples,
        responseExamples: { 200: patchedCustomFieldExamples },
        response: { 200: CustomField, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
      },
    },
    async (request) => service.update(request.params.name, request.body, actorOf(request)),
  );

  app.delete(
    '/custom-fields/:name',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'deleteCustomField',
        tags: ['custom-fields'],
        summary: 'Delete a custom field (admin)',
        description:
          'A 409 while servers hold values of it, unless `force=true`: then the values are removed too, and ' +
          "each server's history records it.",
        params: CustomFieldParams,
        querystring: DeleteCustomFieldQuery,
        response: {
          204: Type.Unsafe<undefined>({ description: 'Deleted' }),
          ...errorResponses(400, 401, 403, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      await service.remove(request.params.name, request.query.force ?? false, actorOf(request));
      return reply.code(204).send();
    },
  );
};
