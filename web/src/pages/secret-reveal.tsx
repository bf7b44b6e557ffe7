import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n.js';

/**
 * A secret the API shows once (a new or rotated token, a webhook's signing secret), with a copy button
 * and a warning. It lives in this component's state only: never stored, never in a URL; "Done" drops it.
 */
export function SecretReveal({ title, secret, onDone }: { title: string; secret: string; onDone: () => void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const box = useRef<HTMLDivElement>(null);
  // Where the keyboard and screen reader go once the secret appears.
  useEffect(() => {
    box.current?.focus();
  }, [secret]);
  return (
    <div class="secret" role="region" aria-label={title} tabIndex={-1} ref={box}>
      <p class="secret-title">{title}</p>
      <p class="warning">{t('admin.secretWarning')}</p>
      <label class="field">
        <span>{t('admin.secret')}</span>
        <input class="mono" readOnly value={secret} autocomplete="off" spellcheck={false} />
      </label>
      <div class="actions">
        <button
          type="button"
          onClick={() => {
            // No clipboard outside a secure context (plain http to another host): the failure says to copy by hand.
            Promise.resolve()
              .then(() => navigator.clipboard.writeText(secret))
              .then(
                () => {
                  setCopied('yes');
                },
                () => {
                  setCopied('failed');
                },
              );
          }}
        >
          {t('admin.copy')}
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          {t('admin.secretDone')}
        </button>
      </div>
      <p aria-live="polite">
        {copied === 'yes' ? t('admin.copied') : copied === 'failed' ? t('admin.copyFailed') : ''}
      </p>
    </div>
  );
}
