import { useState } from 'preact/hooks';
import { isAdmin } from '../admin.js';
import type { Session } from '../app.js';
import { useI18n } from '../i18n/i18n.js';
import { AdminTokens } from './admin-tokens.js';
import { AdminWebhooks } from './admin-webhooks.js';
import { SecretReveal } from './secret-reveal.js';

/** A secret to show once, and the section heading the focus goes back to when it is dismissed. */
export interface Revealed {
  title: string;
  secret: string;
  from: 'tokens-title' | 'webhooks-title';
}

/** Administration: tokens and webhooks, for an admin token only (the API refuses the others with a 403). */
export function AdminPage({ session }: { session: Session }) {
  const { t } = useI18n();
  // Here, outside the admin check: a rotation of the session's own token that still ends the session
  // (a revocation elsewhere) leaves its new secret on screen.
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  return (
    <>
      <h1>{t('admin.title')}</h1>
      {revealed !== null && (
        <SecretReveal
          title={revealed.title}
          secret={revealed.secret}
          onDone={() => {
            setRevealed(null);
            setTimeout(() => {
              document.getElementById(revealed.from)?.focus();
            });
          }}
        />
      )}
      {session.checking ? (
        <p aria-live="polite">{t('app.loading')}</p>
      ) : isAdmin(session.self) ? (
        <>
          <AdminTokens session={session} revealed={revealed !== null} onSecret={setRevealed} />
          <AdminWebhooks generation={session.generation} revealed={revealed !== null} onSecret={setRevealed} />
        </>
      ) : (
        <p role="alert">{t('admin.needed')}</p>
      )}
    </>
  );
}
