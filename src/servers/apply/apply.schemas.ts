import Type, { type Static } from 'typebox';
import { Change } from '../../changes/changes.schemas.js';
import { SERVER_FIELDS } from '../server-fields.js';
import { SourceName } from '../server-fields.schemas.js';
import { ServerPatch } from '../servers.schemas.js';

/** The most servers one apply takes. */
export const MAX_APPLY_ITEMS = 10_000;
/** What a body of more servers is told, by the schemas and by the NDJSON and CSV parsers. */
export const TOO_MANY_ITEMS = `must hold at most ${MAX_APPLY_ITEMS} servers: split the source's input`;

/**
 * The most bytes an apply's body may have: room for MAX_APPLY_ITEMS servers of 1.6 KB each (a
 * typical one is 200 to 300 bytes), well past every other route's 1 MiB. A JSON body is parsed in
 * one piece (some 10 ms per MiB); NDJSON and CSV a slice at a time.
 */
export const APPLY_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** The media types an apply takes, besides JSON. */
export const NDJSON_MEDIA_TYPE = 'application/x-ndjson';
export const CSV_MEDIA_TYPE = 'text/csv';

/**
 * One server as a source sees it: matched by host name; the fields it gives are set, the others left
 * as they are (a new server takes their defaults); null clears. Who owns it is the apply's `source`.
 */
export const ApplyItem = Type.Object(
  {
    ...ServerPatch.properties,
    hostname: SERVER_FIELDS.hostname.write,
    managed_by: Type.Optional(
      Type.Unsafe<never>({ not: {}, errorMessage: "is the apply's source: give source, not managed_by, per server" }),
    ),
  },
  {
    additionalProperties: false,
    title: 'ApplyItem',
    description: 'A server as a source sees it, matched by host name: fields given are set, fields left out kept',
  },
);
export type ApplyItem = Static<typeof ApplyItem>;

const Items = Type.Array(ApplyItem, {
  maxItems: MAX_APPLY_ITEMS,
  description: `Every server the source sees, at most ${MAX_APPLY_ITEMS}`,
  errorMessage: { maxItems: TOO_MANY_ITEMS },
});

const Prune = Type.Boolean({
  description: 'Delete the servers owned by the source that the input does not name (false by default)',
});
const DryRun = Type.Boolean({
  description: 'Answer what the apply would do and write nothing at all (false by default)',
});

/** The JSON body: the source, what it sees, and how to apply it. */
export const ApplyBody = Type.Object(
  {
    source: SourceName,
    servers: Items,
    prune: Type.Optional(Prune),
    dry_run: Type.Optional(DryRun),
  },
  { additionalProperties: false, title: 'ApplyRequest' },
);
export type ApplyBody = Static<typeof ApplyBody>;

/** An NDJSON or CSV body, once parsed: the servers, one per line or record. */
export const ApplyItems = Items;

/**
 * The bodies as the route validates them: everything but the servers' own fields, which the route
 * checks a slice at a time (apply.routes.ts), so that 10,000 servers never hold up the event loop in
 * one validation. The document shows ApplyBody and ApplyItems.
 */
const UncheckedItems = Type.Array(Type.Unknown(), {
  maxItems: MAX_APPLY_ITEMS,
  errorMessage: { maxItems: TOO_MANY_ITEMS },
});
export const ApplyBodyEnvelope = Type.Object(
  { ...ApplyBody.properties, servers: UncheckedItems },
  { additionalProperties: false },
);
export const ApplyItemsEnvelope = UncheckedItems;

/** The query of an NDJSON or CSV body, which carries the rest; a JSON body has it in itself. */
export const ApplyQuery = Type.Object(
  {
    source: Type.Optional(SourceName),
    prune: Type.Optional(Prune),
    dry_run: Type.Optional(DryRun),
  },
  { additionalProperties: false },
);
export type ApplyQuery = Static<typeof ApplyQuery>;

const Hostname = Type.String({ description: 'The host name, as stored (lowercase)' });
const Id = Type.Integer({ minimum: 1 });

export const ApplyResult = Type.Object(
  {
    dry_run: Type.Boolean({ description: 'Whether this was a plan only: then nothing was written' }),
    source: Type.String(),
    created: Type.Array(
      Type.Object(
        { hostname: Hostname, id: Type.Optional(Type.Integer({ minimum: 1, description: 'Absent in a dry run' })) },
        { additionalProperties: false },
      ),
      { description: 'New servers, in the order of the input' },
    ),
    updated: Type.Array(
      Type.Object({ hostname: Hostname, id: Id, changes: Change.properties.changes }, { additionalProperties: false }),
      { description: 'Servers that changed, in the order of the input; adopting one is a change of managed_by' },
    ),
    deleted: Type.Array(Type.Object({ hostname: Hostname, id: Id }, { additionalProperties: false }), {
      description: 'Servers pruned: owned by the source and not in the input (by id)',
    }),
    unchanged: Type.Integer({ minimum: 0, description: 'How many servers of the input were already as given' }),
    summary: Type.Object(
      {
        created: Type.Integer({ minimum: 0 }),
        updated: Type.Integer({ minimum: 0 }),
        deleted: Type.Integer({ minimum: 0 }),
        unchanged: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, title: 'ApplyResult' },
);
export type ApplyResult = Static<typeof ApplyResult>;
