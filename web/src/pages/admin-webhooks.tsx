import { useEffect, useRef, useState } from 'preact/hooks';
import { type Outcome, attempt } from '../action.js';
import { WEBHOOK_EVENTS, type WebhookEvent, webhookInput } from '../admin.js';
import { api } from '../api.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import type { components } from '../openapi.js';
import { useBusy } from '../use-busy.js';
import { useRequest } from '../use-request.js';
import type { Revealed } from './admin-page.js';
import { focusSoon } from './admin-tokens.js';
import { Deliveries } from './webhook-deliveries.js';

type Webhook = components['schemas']['Webhook'];
type Failed = Extract<Outcome<unknown>, { ok: false }>;

function CreateWebhook({ locked, onCreated }: { locked: boolean; onCreated: (id: number, secret: string) => void }) {
  const { t } = useI18n();
  const [busy, run] = useBusy();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>([...WEBHOOK_EVENTS]);
  const [filter, setFilter] = useState('');
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<Failed | null>(null);
  return (
    <form
      class="admin-form"
      aria-label={t('admin.createWebhook')}
      onSubmit={(event) => {
        event.preventDefault();
        // A secret not yet dismissed is never replaced by another.
        if (locked) {
          return;
        }
        const body = webhookInput(url, events, filter, description);
        run(() =>
          attempt(() => api.POST('/api/v1/webhooks', { body })).then((outcome) => {
            if (!outcome.ok) {
              setProblem(outcome);
            } else if (outcome.data !== undefined) {
              setUrl('');
              setFilter('');
              setDescription('');
              setProblem(null);
              onCreated(outcome.data.id, outcome.data.secret);
            }
          }),
        );
      }}
    >
      <label class="field wide">
        <span>{t('admin.webhookUrl')}</span>
        <input
          name="url"
          type="url"
          required
          value={url}
          onInput={(event) => {
            setUrl(event.currentTarget.value);
          }}
        />
      </label>
      <fieldset>
        <legend>{t('admin.events')}</legend>
        {WEBHOOK_EVENTS.map((name) => (
          <label key={name} class="check">
            <input
              type="checkbox"
              checked={events.includes(name)}
              onChange={(event) => {
                const on = event.currentTarget.checked;
                setEvents((list) => (on ? [...list, name] : list.filter((e) => e !== name)));
              }}
            />
            <span class="mono">{name}</span>
          </label>
        ))}
      </fieldset>
      <label class="field">
        <span>{t('admin.webhookFilter')}</span>
        <input
          name="filter"
          value={filter}
          placeholder="environment=production&role=web"
          onInput={(event) => {
            setFilter(event.currentTarget.value);
          }}
        />
      </label>
      <label class="field">
        <span>{t('admin.description')}</span>
        <input
          name="description"
          maxLength={1000}
          value={description}
          onInput={(event) => {
            setDescription(event.currentTarget.value);
          }}
        />
      </label>
      <div class="actions">
        <button type="submit" aria-disabled={busy || locked}>
          {t('admin.create')}
        </button>
      </div>
      {locked && <p class="hint">{t('admin.secretFirst')}</p>}
      {problem !== null && <Failure loaded={problem} />}
    </form>
  );
}

function WebhookItem({ webhook, onDeleted }: { webhook: Webhook; onDeleted: () => void }) {
  const { t } = useI18n();
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [problem, setProblem] = useState<Failed | null>(null);
  const [pinging, ping] = useBusy();
  const [removing, remove] = useBusy();
  const cancel = useRef<HTMLButtonElement>(null);
  const deleteId = `webhook-delete-${String(webhook.id)}`;
  // A confirmation takes the focus to its Cancel (the safe choice).
  useEffect(() => {
    if (deleting) {
      cancel.current?.focus();
    }
  }, [deleting]);
  const bump = () => {
    setVersion((v) => v + 1);
  };
  const none = t('value.none');
  return (
    <li class="webhook">
      <h3 class="webhook-url">
        <span class="mono">#{webhook.id}</span> <span class="mono">{webhook.url}</span>
      </h3>
      <dl class="fields">
        <div>
          <dt>{t('admin.events')}</dt>
          <dd class="mono">{webhook.events.join(', ')}</dd>
        </div>
        <div>
          <dt>{t('admin.webhookFilter')}</dt>
          <dd class="mono">{webhook.filter === '' ? t('admin.allServers') : webhook.filter}</dd>
        </div>
        <div>
          <dt>{t('admin.description')}</dt>
          <dd>{webhook.description ?? none}</dd>
        </div>
        <div>
          <dt>{t('admin.status')}</dt>
          <dd>
            {webhook.active ? t('admin.webhookActive') : t('admin.webhookInactive')}
            {webhook.disabled_reason !== null && ` (${webhook.disabled_reason})`}
          </dd>
        </div>
        <div>
          <dt>{t('admin.failuresInRow')}</dt>
          <dd>{webhook.consecutive_failures}</dd>
        </div>
      </dl>
      <div class="actions">
        <button
          type="button"
          class="secondary"
          aria-expanded={open}
          onClick={() => {
            setOpen((o) => !o);
          }}
        >
          {t(open ? 'admin.hideDeliveries' : 'admin.showDeliveries')}
        </button>
        <button
          type="button"
          class="secondary"
          disabled={!webhook.active}
          aria-disabled={pinging}
          onClick={() => {
            ping(() =>
              attempt(() =>
                api.POST('/api/v1/webhooks/{id}/ping', { params: { path: { id: String(webhook.id) } } }),
              ).then((outcome) => {
                setProblem(outcome.ok ? null : outcome);
                setOpen(true);
                bump();
              }),
            );
          }}
        >
          {t('admin.ping')}
        </button>
        {!deleting && (
          <button
            type="button"
            class="danger"
            id={deleteId}
            onClick={() => {
              setDeleting(true);
            }}
          >
            {t('admin.delete')}
          </button>
        )}
      </div>
      {deleting && (
        <div class="confirm" role="group" aria-label={t('admin.confirmGroup', { name: `#${String(webhook.id)}` })}>
          <p>{t('admin.deleteConfirm', { id: String(webhook.id) })}</p>
          <div class="actions">
            <button
              type="button"
              class="danger"
              aria-disabled={removing}
              onClick={() => {
                remove(() =>
                  attempt(() =>
                    api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: String(webhook.id) } } }),
                  ).then((outcome) => {
                    if (outcome.ok) {
                      focusSoon('webhooks-title');
                      onDeleted();
                    } else {
                      setProblem(outcome);
                    }
                  }),
                );
              }}
            >
              {t('admin.deleteYes', { id: String(webhook.id) })}
            </button>
            <button
              type="button"
              class="secondary"
              ref={cancel}
              onClick={() => {
                setDeleting(false);
                focusSoon(deleteId);
              }}
            >
              {t('admin.cancel')}
            </button>
          </div>
        </div>
      )}
      {problem !== null && <Failure loaded={problem} />}
      {open && <Deliveries webhook={webhook} version={version} bump={bump} />}
    </li>
  );
}

/** The webhook subscriptions: create (the secret shown once), each one's delivery log, ping, redeliver, delete. */
export function AdminWebhooks({
  generation,
  revealed,
  onSecret,
}: {
  generation: number;
  /** A secret is shown and not yet dismissed: no new one until it is. */
  revealed: boolean;
  onSecret: (revealed: Revealed) => void;
}) {
  const { t } = useI18n();
  const [version, setVersion] = useState(0);
  const loaded = useRequest((signal) => api.GET('/api/v1/webhooks', { signal }), [generation, version]);
  const reload = () => {
    setVersion((v) => v + 1);
  };
  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title" tabIndex={-1}>
        {t('admin.webhooks')}
      </h2>
      <CreateWebhook
        locked={revealed}
        onCreated={(id, secret) => {
          onSecret({ title: t('admin.webhookCreated', { id: String(id) }), secret, from: 'webhooks-title' });
          reload();
        }}
      />
      {loaded.state === 'loading' && <p aria-live="polite">{t('app.loading')}</p>}
      {loaded.state === 'failed' && <Failure loaded={loaded} />}
      {loaded.state === 'done' && loaded.data.webhooks.length === 0 && <p>{t('admin.noWebhooks')}</p>}
      {loaded.state === 'done' && (
        <ul class="webhooks" aria-busy={loaded.busy}>
          {loaded.data.webhooks.map((webhook) => (
            <WebhookItem key={webhook.id} webhook={webhook} onDeleted={reload} />
          ))}
        </ul>
      )}
    </section>
  );
}
