import { useEffect, useRef, useState } from 'preact/hooks';
import { type Outcome, attempt } from '../action.js';
import { GRACE_CHOICES, SCOPES, canRevoke, canRotate, tokenInput } from '../admin.js';
import { type Token, api } from '../api.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/messages.js';
import type { Session } from '../app.js';
import { storeToken } from '../session.js';
import { useBusy } from '../use-busy.js';
import { useRequest } from '../use-request.js';
import type { Revealed } from './admin-page.js';

const SCOPE_KEYS = {
  read: 'scope.read',
  write: 'scope.write',
  admin: 'scope.admin',
} as const satisfies Record<Token['scope'], MessageKey>;

const TOKEN_STATUS_KEYS = {
  active: 'admin.tokenActive',
  expired: 'admin.tokenExpired',
  revoked: 'admin.tokenRevoked',
} as const satisfies Record<Token['status'], MessageKey>;

type Failed = Extract<Outcome<unknown>, { ok: false }>;

/** Focuses the element of this id once the page has drawn it (it may be drawn anew by then). */
export function focusSoon(id: string): void {
  setTimeout(() => {
    document.getElementById(id)?.focus();
  });
}

function CreateToken({ locked, onCreated }: { locked: boolean; onCreated: (name: string, secret: string) => void }) {
  const { t } = useI18n();
  const [busy, run] = useBusy();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Token['scope']>('read');
  const [days, setDays] = useState('');
  const [problem, setProblem] = useState<Failed | 'days' | null>(null);
  return (
    <form
      class="admin-form"
      aria-label={t('admin.createToken')}
      onSubmit={(event) => {
        event.preventDefault();
        // A secret not yet dismissed is never replaced by another.
        if (locked) {
          return;
        }
        const input = tokenInput(name, scope, days);
        if (!input.ok) {
          setProblem(input.field === 'days' ? 'days' : null);
          return;
        }
        run(() =>
          attempt(() => api.POST('/api/v1/tokens', { body: input.body })).then((outcome) => {
            if (outcome.ok && outcome.data !== undefined) {
              setName('');
              setDays('');
              setProblem(null);
              onCreated(outcome.data.token.name, outcome.data.secret);
            } else if (!outcome.ok) {
              setProblem(outcome);
            }
          }),
        );
      }}
    >
      <label class="field">
        <span>{t('admin.tokenName')}</span>
        <input
          name="name"
          required
          maxLength={64}
          pattern="[A-Za-z0-9._\-]{1,64}"
          value={name}
          onInput={(event) => {
            setName(event.currentTarget.value);
          }}
        />
      </label>
      <label class="field">
        <span>{t('admin.scope')}</span>
        <select
          name="scope"
          value={scope}
          onChange={(event) => {
            setScope(event.currentTarget.value as Token['scope']);
          }}
        >
          {SCOPES.map((s) => (
            <option key={s} value={s}>
              {t(SCOPE_KEYS[s])}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t('admin.expiresInDays')}</span>
        <input
          name="expires_in_days"
          type="number"
          min={1}
          max={9999}
          step={1}
          value={days}
          onInput={(event) => {
            setDays(event.currentTarget.value);
          }}
        />
      </label>
      <div class="actions">
        <button type="submit" aria-disabled={busy || locked}>
          {t('admin.create')}
        </button>
      </div>
      {locked && <p class="hint">{t('admin.secretFirst')}</p>}
      {problem === 'days' && (
        <p role="alert" class="error">
          {t('admin.daysInvalid')}
        </p>
      )}
      {problem !== null && problem !== 'days' && <Failure loaded={problem} />}
    </form>
  );
}

/** A token's actions, each asked for and then confirmed in place. */
function TokenActions({
  token,
  own,
  locked,
  onDone,
}: {
  token: Token;
  /** The session's own token: a rotation's new secret becomes the session's, a revocation signs out. */
  own: boolean;
  locked: boolean;
  onDone: (change: { rotated: string; secret: string } | null) => void;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState<'revoke' | 'rotate' | null>(null);
  const [grace, setGrace] = useState<number>(0);
  const [problem, setProblem] = useState<Failed | null>(null);
  const [busy, run] = useBusy();
  const cancel = useRef<HTMLButtonElement>(null);
  // A confirmation takes the focus to its Cancel (the safe choice).
  useEffect(() => {
    if (asking !== null) {
      cancel.current?.focus();
    }
  }, [asking]);
  if (!canRevoke(token)) {
    return null;
  }
  const path = { params: { path: { name: token.name } } };
  const id = (action: 'revoke' | 'rotate') => `token-${action}-${token.name}`;
  if (asking === null) {
    return (
      <div class="actions">
        {canRotate(token) && (
          <button
            type="button"
            class="secondary"
            id={id('rotate')}
            aria-disabled={locked}
            onClick={() => {
              if (!locked) {
                setAsking('rotate');
              }
            }}
          >
            {t('admin.rotate')}
          </button>
        )}
        <button
          type="button"
          class="danger"
          id={id('revoke')}
          onClick={() => {
            setAsking('revoke');
          }}
        >
          {t('admin.revoke')}
        </button>
      </div>
    );
  }
  const action = asking;
  const confirm = () => {
    run(async () => {
      if (action === 'revoke') {
        const outcome = await attempt(() => api.DELETE('/api/v1/tokens/{name}', path));
        if (!outcome.ok) {
          setProblem(outcome);
          return;
        }
        setAsking(null);
        // Revoked: the row offers no action any more; the focus goes to the section.
        focusSoon('tokens-title');
        onDone(null);
        return;
      }
      const outcome = await attempt(() =>
        api.POST('/api/v1/tokens/{name}/rotate', { ...path, body: { grace_seconds: grace } }),
      );
      if (!outcome.ok) {
        setProblem(outcome);
        return;
      }
      if (own && outcome.data !== undefined) {
        // Before anything reloads: the old secret may stop working at once.
        storeToken(outcome.data.secret);
      }
      setAsking(null);
      onDone(outcome.data === undefined ? null : { rotated: token.name, secret: outcome.data.secret });
    });
  };
  const confirmText =
    asking === 'revoke' ? (own ? 'admin.revokeOwnConfirm' : 'admin.revokeConfirm') : 'admin.rotateConfirm';
  return (
    <div class="confirm" role="group" aria-label={t('admin.confirmGroup', { name: token.name })}>
      <p>{t(confirmText, { name: token.name })}</p>
      {asking === 'rotate' && (
        <label class="field">
          <span>{t('admin.grace')}</span>
          <select
            value={String(grace)}
            onChange={(event) => {
              setGrace(Number(event.currentTarget.value));
            }}
          >
            {GRACE_CHOICES.map((seconds) => (
              <option key={seconds} value={String(seconds)}>
                {t(seconds === 0 ? 'admin.graceNone' : seconds === 3_600 ? 'admin.graceHour' : 'admin.graceDay')}
              </option>
            ))}
          </select>
        </label>
      )}
      <div class="actions">
        <button type="button" class={asking === 'revoke' ? 'danger' : undefined} aria-disabled={busy} onClick={confirm}>
          {t(asking === 'revoke' ? 'admin.revokeYes' : 'admin.rotateYes', { name: token.name })}
        </button>
        <button
          type="button"
          class="secondary"
          ref={cancel}
          onClick={() => {
            setAsking(null);
            setProblem(null);
            focusSoon(id(action));
          }}
        >
          {t('admin.cancel')}
        </button>
      </div>
      {problem !== null && <Failure loaded={problem} />}
    </div>
  );
}

/** The tokens: list, create (the secret shown once), rotate, revoke. */
export function AdminTokens({
  session,
  revealed,
  onSecret,
}: {
  session: Session;
  /** A secret is shown and not yet dismissed: no new one until it is. */
  revealed: boolean;
  onSecret: (revealed: Revealed) => void;
}) {
  const { t, dateTime } = useI18n();
  const [version, setVersion] = useState(0);
  const loaded = useRequest((signal) => api.GET('/api/v1/tokens', { signal }), [session.generation, version]);
  const none = t('value.none');
  const when = (iso: string | null) => (iso === null ? none : <time dateTime={iso}>{dateTime(iso)}</time>);
  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title" tabIndex={-1}>
        {t('admin.tokens')}
      </h2>
      <CreateToken
        locked={revealed}
        onCreated={(name, secret) => {
          onSecret({ title: t('admin.tokenCreated', { name }), secret, from: 'tokens-title' });
          setVersion((v) => v + 1);
        }}
      />
      {loaded.state === 'loading' && <p aria-live="polite">{t('app.loading')}</p>}
      {loaded.state === 'failed' && <Failure loaded={loaded} />}
      {loaded.state === 'done' && (
        <div class="table-wrap" aria-busy={loaded.busy}>
          <table class="tokens">
            <caption class="visually-hidden">{t('admin.tokens')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.tokenName')}</th>
                <th scope="col">{t('admin.scope')}</th>
                <th scope="col">{t('admin.status')}</th>
                <th scope="col">{t('admin.created')}</th>
                <th scope="col">{t('admin.expires')}</th>
                <th scope="col">{t('admin.lastUsed')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.tokens.map((token) => (
                <tr key={token.name}>
                  <td>{token.name}</td>
                  <td>{t(SCOPE_KEYS[token.scope])}</td>
                  <td>{t(TOKEN_STATUS_KEYS[token.status])}</td>
                  <td>{when(token.created_at)}</td>
                  <td>{when(token.expires_at)}</td>
                  <td>{when(token.last_used_at)}</td>
                  <td>
                    <TokenActions
                      token={token}
                      own={token.name === session.self?.name}
                      locked={revealed}
                      onDone={(change) => {
                        if (change !== null) {
                          onSecret({
                            title: t('admin.tokenRotated', { name: change.rotated }),
                            secret: change.secret,
                            from: 'tokens-title',
                          });
                        }
                        setVersion((v) => v + 1);
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
