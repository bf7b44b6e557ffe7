// What a failed request says to people, as plain text (the API's messages are never markup).
import type { components } from './openapi.js';
import type { MessageKey } from './i18n/messages.js';

type ApiError = components['schemas']['Error'];
type Translate = (key: MessageKey, params?: Readonly<Record<string, string>>) => string;

export interface FailureText {
  message: string;
  /** The API's field-by-field reasons (`details` of a 400), as "field: message". */
  details: string[];
}

export function failureText(t: Translate, status: number, error: ApiError | null): FailureText {
  if (status === 401) {
    return { message: t('auth.needed'), details: [] };
  }
  // No answer at all: the browser's own words (in its language, not the page's) are not shown.
  if (status === 0 && error?.code === 'NETWORK') {
    return { message: t('error.network'), details: [] };
  }
  const details = (error?.details ?? []).map((detail) => `${detail.field}: ${detail.message}`);
  if (error?.truncated !== undefined && error.truncated > 0) {
    details.push(t('error.more', { count: String(error.truncated) }));
  }
  return { message: t('error.generic', { message: error?.error ?? String(status) }), details };
}
