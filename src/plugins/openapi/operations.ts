import type { SwaggerTransform } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { errorRegistry } from '../../errors.js';
import { ErrorResponse } from '../../shared/schemas.js';
import type { TokenScope } from '../../tokens/tokens.service.js';
import { needsToken } from '../auth.js';
import { PRESSURE_EXEMPT, RATE_LIMIT_EXEMPT } from '../protection.js';

/** Named examples of a body, as OpenAPI's Example Objects. /docs pre-fills "Try it out" with the first. */
export type BodyExamples = Readonly<Record<string, { summary: string; value: unknown }>>;

declare module 'fastify' {
  interface FastifySchema {
    /** Examples of the request body, published in the OpenAPI document only. */
    bodyExamples?: BodyExamples;
    /** Examples of response bodies by status, published in the OpenAPI document only. */
    responseExamples?: Readonly<Partial<Record<number, BodyExamples>>>;
    /**
     * The body as the document shows it, where the route validates a lighter form and checks the
     * rest itself (a body of many items, checked a slice at a time).
     */
    documentedBody?: unknown;
    /**
     * Bodies that are text in a format of their own (NDJSON, CSV), by media type: the document shows
     * them as text with this description and example, not as the schema their parsed form is checked by.
     */
    textBodies?: Readonly<Record<string, { description: string; example: string }>>;
    /**
     * The query parameters the querystring admits by `patternProperties` (their names vary), which the
     * document shows as one parameter of this name: an object whose properties are the parameters
     * (style form, exploded), with this description. No example: /docs would send it with every
     * "Try it out", and the names it could show depend on the inventory.
     */
    queryPatterns?: { name: string; description: string };
  }
}

/** The operation's extension that carries its query's patterned parameters to publishQueryPatterns. */
const QUERY_PATTERNS_EXTENSION = 'x-query-patterns';

/** A body schema by media type (Fastify's `body: { content: { type: { schema } } }`). */
interface BodyByMediaType {
  content: Record<string, { schema: unknown }>;
}

function isByMediaType(body: unknown): body is BodyByMediaType {
  return typeof body === 'object' && body !== null && 'content' in body;
}

/** The name of the security scheme in the document. */
export const BEARER = 'bearerAuth';

/** The operation's extension in the document that names the scope a route needs. */
export const REQUIRED_SCOPE_EXTENSION = 'x-required-scope';

/**
 * What the document says a route needs, by the auth plugin's own rule (needsToken): a token where the
 * server asks for one; on the other routes that declare a scope (reads, unless INVENTORY_AUTH_READS=true)
 * a token or none (`{}`), so that "Authorize" in /docs sends it either way; nothing for the open routes
 * (probes, this document).
 */
export function securityOf(
  config: { scope?: TokenScope; tokenRequired?: boolean } | undefined,
  authReads: boolean,
): OpenAPIV3_1.SecurityRequirementObject[] {
  if (config?.scope === undefined) {
    return [];
  }
  return needsToken(config, authReads) ? [{ [BEARER]: [] }] : [{}, { [BEARER]: [] }];
}

/** A schema with its examples in the key from which @fastify/swagger makes the media type's `examples`. */
function withExamples(schema: unknown, examples: BodyExamples): object {
  return { ...(schema as object), 'x-examples': examples };
}

/** A body by media type with the examples on its JSON schema. */
function withJsonExamples(body: BodyByMediaType, examples: BodyExamples): BodyByMediaType {
  const json = body.content['application/json'];
  if (json === undefined) {
    throw new Error('body examples are JSON, and the body takes no application/json');
  }
  return { ...body, content: { ...body.content, 'application/json': { schema: withExamples(json.schema, examples) } } };
}

/** A body by media type whose text media types show as text, described, with an example. */
function asText(body: BodyByMediaType, textBodies: NonNullable<FastifySchema['textBodies']>): BodyByMediaType {
  const content = { ...body.content };
  for (const [type, { description, example }] of Object.entries(textBodies)) {
    if (content[type] === undefined) {
      throw new Error(`a text body of ${type}, which the body does not take`);
    }
    content[type] = {
      schema: withExamples({ type: 'string', description }, { example: { summary: `A ${type} body`, value: example } }),
    };
  }
  return { content };
}

/**
 * The route schema the document is made from: its scope and security from the route's config, its body and
 * response examples beside their schemas. The route's own schema, which validates, is not changed.
 */
export const documentedRoute =
  (authReads: boolean): SwaggerTransform =>
  ({ schema, url, route }) => {
    // Routes without a schema are not documented (see the test of the document): nothing to add.
    if ((schema as FastifySchema | undefined) === undefined) {
      return { schema, url };
    }
    const { bodyExamples, responseExamples, textBodies, documentedBody, queryPatterns, ...documented }: FastifySchema =
      schema;
    if (documentedBody !== undefined) {
      documented.body = documentedBody;
    }
    documented.security = securityOf(route.config, authReads);
    if (route.config?.scope !== undefined) {
      Object.assign(documented, { [REQUIRED_SCOPE_EXTENSION]: route.config.scope });
    }
    if (bodyExamples !== undefined) {
      if (documented.body === undefined) {
        throw new Error(`${route.method.toString()} ${url} has body examples but no body`);
      }
      documented.body = isByMediaType(documented.body)
        ? withJsonExamples(documented.body, bodyExamples)
        : withExamples(documented.body, bodyExamples);
    }
    if (textBodies !== undefined) {
      if (!isByMediaType(documented.body)) {
        throw new Error(`${route.method.toString()} ${url} has text bodies but no body by media type`);
      }
      documented.body = asText(documented.body, textBodies);
    }
    const patterns = (documented.querystring as { patternProperties?: Record<string, unknown> } | undefined)
      ?.patternProperties;
    if ((patterns === undefined) !== (queryPatterns === undefined)) {
      throw new Error(`${route.method.toString()} ${url}: a querystring with patternProperties needs queryPatterns`);
    }
    if (patterns !== undefined && queryPatterns !== undefined) {
      Object.assign(documented, {
        [QUERY_PATTERNS_EXTENSION]: {
          in: 'query',
          ...queryPatterns,
          style: 'form',
          explode: true,
          // A copy: the document's schemas are rewritten in place (openapi/schemas.ts), and the route's
          // own, which the validator reads its messages from, must not lose their errorMessage.
          schema: {
            type: 'object',
            patternProperties: JSON.parse(JSON.stringify(patterns)) as unknown,
            additionalProperties: false,
          },
        },
      });
    }
    if (responseExamples !== undefined) {
      const responses = { ...(documented.response as Record<number, unknown> | undefined) };
      for (const [status, examples] of Object.entries(responseExamples)) {
        const response = responses[Number(status)];
        if (response === undefined || examples === undefined) {
          throw new Error(`${route.method.toString()} ${url} has examples of an undeclared ${status} response`);
        }
        responses[Number(status)] = withExamples(response, examples);
      }
      documented.response = responses;
    }
    return { schema: documented, url };
  };

function errorResponse(description: string): OpenAPIV3_1.ResponseObject {
  return {
    description,
    content: { 'application/json': { schema: JSON.parse(JSON.stringify(ErrorResponse)) as OpenAPIV3_1.SchemaObject } },
  };
}

/**
 * Adds the answers that come from the HTTP layer rather than from a route: 400 from the checks every
 * request goes through (a malformed escape in the query, a malformed If-Match or If-None-Match), 429
 * from the rate limit, 503 from overload protection or during shutdown. A route's own schema does
 * not list them.
 */
export function addLayerResponses(document: OpenAPIV3_1.Document): void {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(item ?? {}) as (OpenAPIV3_1.OperationObject | undefined)[]) {
      if (operation?.responses === undefined) {
        continue;
      }
      operation.responses['400'] ??= errorResponse(
        'A query parameter holds a malformed percent-escape (VALIDATION_FAILED), or If-Match or ' +
          'If-None-Match is malformed (INVALID_PRECONDITION)',
      );
      if (!RATE_LIMIT_EXEMPT.has(path)) {
        operation.responses['429'] ??= errorResponse(
          `${errorRegistry.RATE_LIMITED.message} (RATE_LIMITED): over RATE_LIMIT_PER_MINUTE; see Retry-After`,
        );
      }
      operation.responses['503'] ??= errorResponse(
        PRESSURE_EXEMPT.has(path)
          ? 'The server is shutting down (SERVICE_UNAVAILABLE)'
          : 'The server is overloaded (OVERLOADED, with Retry-After) or shutting down (SERVICE_UNAVAILABLE)',
      );
    }
  }
}

/**
 * Adds each operation's patterned query parameters (see `queryPatterns`) to its parameters: one
 * parameter whose object's properties are the query's parameters (OpenAPI 3.1, 4.8.12.4: style form,
 * exploded, as `?cf_rack=R12&cf_u__gte=10`). @fastify/swagger makes parameters of `properties` only.
 */
export function publishQueryPatterns(document: OpenAPIV3_1.Document): void {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item ?? {}) as (Record<string, unknown> | undefined)[]) {
      const parameter = operation?.[QUERY_PATTERNS_EXTENSION] as OpenAPIV3_1.ParameterObject | undefined;
      if (operation === undefined || parameter === undefined) {
        continue;
      }
      Reflect.deleteProperty(operation, QUERY_PATTERNS_EXTENSION);
      operation.parameters = [
        ...((operation.parameters as OpenAPIV3_1.ParameterObject[] | undefined) ?? []),
        parameter,
      ];
    }
  }
}
