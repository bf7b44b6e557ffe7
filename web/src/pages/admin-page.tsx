import { isAdmin } from '../admin.js';
import type { Session } from '../app.js';
import { useI18n } from '../i18n/i18n.js';
import { AdminTokens } from './admin-tokens.js';
import { AdminWebhooks } from './admin-webhooks.js';

/** Administration: tokens and webhooks, for an admin token only (the API refuses the others with a 403). */
export function AdminPage({ session }: { session: Session }) {
  const { t } = useI18n();
  return (
    <>
      <h1>{t('admin.title')}</h1>
      {isAdmin(session.self) ? (
        <>
          <AdminTokens generation={session.generation} />
          <AdminWebhooks generation={session.generation} />
        </>
      ) : (
        <p role="alert">{t('admin.needed')}</p>
      )}
    </>
  );
}
