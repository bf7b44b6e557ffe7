import { decodeCursorObject, encodeCursorObject } from '../shared/cursor.js';
import { MAX_SERVER_ID } from '../servers/server-fields.schemas.js';
import type { DeliveryStatus } from './webhooks.schemas.js';

// The cursors of a subscription's delivery log: opaque to clients, bound to the status filter, carrying
// the id of the last delivery served (the log is newest first, by id).

interface CursorContent {
  /** The status filter, '' for none. */
  s: string;
  /** The id of the last delivery served. */
  b: number;
}

export function encodeDeliveriesCursor(status: DeliveryStatus | undefined, lastId: number): string {
  const content: CursorContent = { s: status ?? '', b: lastId };
  return encodeCursorObject({ ...content });
}

/** The id the page starts below, or null if the cursor is not one of this listing (same status). */
export function decodeDeliveriesCursor(cursor: string, status: DeliveryStatus | undefined): number | null {
  const decoded = decodeCursorObject(cursor);
  if (decoded === null) {
    return null;
  }
  const { s, b } = decoded;
  if (s !== (status ?? '') || !Number.isSafeInteger(b) || (b as number) < 1 || (b as number) > MAX_SERVER_ID) {
    return null;
  }
  return b as number;
}
