// A message for the next page to show once: "server deleted" on the list after a delete. No Preact
// here: kept in memory for the page's life, never in the URL (a reload or a shared link shows none).
import type { MessageKey } from './i18n/messages.js';

export interface Notice {
  key: MessageKey;
  params?: Readonly<Record<string, string>>;
}

let pending: Notice | null = null;

/** Leaves `notice` for the next page that takes one. */
export function leaveNotice(notice: Notice): void {
  pending = notice;
}

/** The notice left for this page, once: the next call answers null. */
export function takeNotice(): Notice | null {
  const notice = pending;
  pending = null;
  return notice;
}
