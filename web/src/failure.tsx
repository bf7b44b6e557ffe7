import { useI18n } from './i18n/i18n.js';
import type { Loaded } from './use-request.js';

/** Why a request failed, for people: sign in on a 401, otherwise the API's own message. */
export function Failure({ loaded }: { loaded: Extract<Loaded<unknown>, { state: 'failed' }> }) {
  const { t } = useI18n();
  return (
    <p role="alert" class="error">
      {loaded.status === 401
        ? t('auth.needed')
        : t('error.generic', { message: loaded.error?.error ?? String(loaded.status) })}
    </p>
  );
}
