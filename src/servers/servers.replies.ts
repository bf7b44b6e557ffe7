import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Answer } from '../idempotency/idempotency.service.js';
import type { Server } from './servers.schemas.js';
import type { VersionedServer, WriteContext } from './servers.service.js';

// What the servers' routes (and the apply's) answer with beside the bodies: the headers of a
// versioned server, a create's answer, and who writes.

export const ETAG_HEADER = {
  etag: Type.String({ description: 'The strong ETag of the server' }),
  'last-seen-at': Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        'When an apply last saw the server (RFC 3339): an observation served beside the server, not in it, ' +
        'so that it changes neither the body nor the ETag; absent if no apply has seen it',
    }),
  ),
};
export const LOCATION_HEADER = { location: Type.String({ description: 'The URL of the created server' }) };

/** The actor and the If-Match condition of a write. The auth plugin has checked the token. */
export function writeContext(request: FastifyRequest): WriteContext {
  if (request.principal === null) {
    throw new Error('a write route ran without an authenticated principal');
  }
  return { actor: request.principal.name, ifMatch: request.headers['if-match'] };
}

/** The headers of a versioned server: its ETag, and beside it when an apply last saw it. */
export function versionHeaders(reply: FastifyReply, { etag, lastSeenAt }: VersionedServer): FastifyReply {
  void reply.header('etag', etag);
  return lastSeenAt === null ? reply : reply.header('last-seen-at', lastSeenAt);
}

export function sendVersioned(reply: FastifyReply, versioned: VersionedServer, status = 200) {
  return versionHeaders(reply, versioned).code(status).send(versioned.server);
}

export const WRITE_ERRORS = [400, 401, 403, 404, 409, 412, 413, 415, 429] as const;

/** The answer to a create: the array for an array; one server with its Location and ETag otherwise. */
export function createdAnswer(prefix: string, created: VersionedServer[], batch: boolean): Answer<Server | Server[]> {
  if (batch) {
    return { status: 201, headers: {}, body: created.map((c) => c.server) };
  }
  const [only] = created;
  if (only === undefined) {
    throw new Error('created nothing');
  }
  return {
    status: 201,
    headers: { location: `${prefix}/servers/${only.server.id}`, etag: only.etag },
    body: only.server,
  };
}
