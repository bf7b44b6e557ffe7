// The activity page's list: changes from the feed and from the stream, newest first, each once. No
// Preact, no browser globals: tests/web/activity.test.ts runs it in Node.
import type { components } from './openapi.js';
import type { SseEvent } from './sse.js';

type Change = components['schemas']['Change'];

/** How many changes a page of the feed holds. */
export const ACTIVITY_PAGE = 50;
/** The most the page keeps: a console left open for days does not grow without end. */
export const ACTIVITY_MAX = 1000;

/** The stream's event names (docs/api.md#the-change-stream-server-sent-events). */
const EVENT_TYPES = new Set(['server.created', 'server.updated', 'server.deleted']);
const ACTIONS = new Set(['create', 'update', 'delete']);

/** The change an event of the stream carries, or null for an event that is not one (another type, a malformed body). */
export function changeOfEvent(event: SseEvent): Change | null {
  if (!EVENT_TYPES.has(event.type)) {
    return null;
  }
  let body: unknown;
  try {
    body = JSON.parse(event.data);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) {
    return null;
  }
  const change = body as Record<string, unknown>;
  const valid =
    Number.isInteger(change.seq) &&
    Number.isInteger(change.server_id) &&
    typeof change.action === 'string' &&
    ACTIONS.has(change.action) &&
    typeof change.at === 'string' &&
    typeof change.actor === 'string' &&
    typeof change.changes === 'object' &&
    change.changes !== null &&
    !Array.isArray(change.changes);
  return valid ? (body as Change) : null;
}

/** Both lists as one, newest first, each seq once (a change may come from the feed and the stream), at most `max`. */
export function mergeChanges(a: readonly Change[], b: readonly Change[], max = ACTIVITY_MAX): Change[] {
  const bySeq = new Map<number, Change>();
  for (const change of [...a, ...b]) {
    bySeq.set(change.seq, change);
  }
  return [...bySeq.values()].sort((x, y) => y.seq - x.seq).slice(0, max);
}

/**
 * The list with a change from the stream: at the top when it is newer than every change shown (the
 * usual case, a backlog too: no sort per event), else merged in its place; the oldest dropped past `max`.
 */
export function withLive(list: readonly Change[], change: Change, max = ACTIVITY_MAX): Change[] {
  const head = list[0];
  if (head === undefined || change.seq > head.seq) {
    return [change, ...list.slice(0, max - 1)];
  }
  return mergeChanges([change], list, max);
}

/**
 * The list with the page before its oldest change (`before=` that seq) after it, at most `max` in all:
 * one list, so that what is kept runs without a gap from the newest to the oldest.
 */
export function withOlder(list: readonly Change[], page: readonly Change[], max = ACTIVITY_MAX): Change[] {
  return mergeChanges(list, page, max);
}

/** The seq "Older changes" asks before: the oldest change kept, or null for an empty list. */
export function oldestSeq(list: readonly Change[]): number | null {
  return list.at(-1)?.seq ?? null;
}

/**
 * Whether "Older changes" is offered: the first page was full (a shorter one was the whole feed),
 * the last page asked was not the last, and the list has room (past `max`, a page would be dropped).
 */
export function offersOlder(
  firstPageLength: number,
  list: readonly Change[],
  done: boolean,
  max = ACTIVITY_MAX,
): boolean {
  return firstPageLength >= ACTIVITY_PAGE && !done && list.length < max;
}

/** The seq the stream starts after: the newest change shown, or 0 for an empty feed (every change then comes). */
export function streamStart(changes: readonly Change[]): string {
  return String(changes.reduce((newest, change) => Math.max(newest, change.seq), 0));
}

/** What the entry names the server by: its host name as the change left it, or its id. */
export function serverName(change: Change): string {
  return change.server?.hostname ?? `#${String(change.server_id)}`;
}
