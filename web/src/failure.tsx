import { failureText } from './failure-text.js';
import { useI18n } from './i18n/i18n.js';
import type { ApiError } from './api.js';

/** Why a request failed, for people: sign in on a 401, otherwise the API's own message and its details. */
export function Failure({ loaded }: { loaded: { status: number; error: ApiError | null } }) {
  const { t } = useI18n();
  const { message, details } = failureText(t, loaded.status, loaded.error);
  return (
    <div role="alert" class="error">
      <p>{message}</p>
      {details.length > 0 && (
        <ul>
          {details.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
