import { useEffect, useRef, useState } from 'preact/hooks';
import { type Outcome, attempt } from '../action.js';
import { canRedeliver, lastProblem, nextPollDelay, shouldPoll } from '../admin.js';
import { api } from '../api.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/messages.js';
import type { components } from '../openapi.js';
import { useBusy } from '../use-busy.js';
import { useRequest } from '../use-request.js';

type Webhook = components['schemas']['Webhook'];
type Delivery = components['schemas']['WebhookDelivery'];
type Failed = Extract<Outcome<unknown>, { ok: false }>;

const DELIVERY_STATUS_KEYS = {
  pending: 'admin.deliveryPending',
  succeeded: 'admin.deliverySucceeded',
  failed: 'admin.deliveryFailed',
} as const satisfies Record<Delivery['status'], MessageKey>;

/**
 * A subscription's delivery log (its first page, newest first). While a delivery of an active subscription
 * is pending, the log is read again once its last answer is in: after 2 s, then twice as long each time
 * up to a minute; a refresh, a ping or a redelivery starts again at 2 s.
 */
export function Deliveries({ webhook, version, bump }: { webhook: Webhook; version: number; bump: () => void }) {
  const { t, dateTime } = useI18n();
  const [problem, setProblem] = useState<Failed | null>(null);
  const delay = useRef<number | null>(null);
  const loaded = useRequest(
    (signal) => api.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id: String(webhook.id) } }, signal }),
    [webhook.id, version],
  );
  // Whether the last new read was this log's own timer's: any other (refresh, ping, redelivery) starts
  // the waits again at the first.
  const timed = useRef(false);
  useEffect(() => {
    if (!timed.current) {
      delay.current = null;
    }
    timed.current = false;
  }, [version]);
  // Runs on each answer (not while one is awaited): the next read, or none once nothing is pending.
  useEffect(() => {
    if (loaded.state !== 'done' || loaded.busy) {
      return undefined;
    }
    if (!shouldPoll(loaded.data.deliveries, webhook)) {
      delay.current = null;
      return undefined;
    }
    const wait = nextPollDelay(delay.current);
    delay.current = wait;
    const timer = setTimeout(() => {
      timed.current = true;
      bump();
    }, wait);
    return () => {
      clearTimeout(timer);
    };
  }, [loaded, webhook.active]);
  const [redelivering, redeliver] = useBusy();
  const none = t('value.none');
  const problemText = (found: ReturnType<typeof lastProblem>) =>
    found === null ? none : 'error' in found ? found.error : t('admin.httpStatus', { status: String(found.status) });
  return (
    <div class="deliveries">
      <div class="actions">
        <button type="button" class="secondary" onClick={bump}>
          {t('admin.refresh')}
        </button>
      </div>
      {problem !== null && <Failure loaded={problem} />}
      {loaded.state === 'loading' && <p aria-live="polite">{t('app.loading')}</p>}
      {loaded.state === 'failed' && <Failure loaded={loaded} />}
      {loaded.state === 'done' && loaded.data.deliveries.length === 0 && <p>{t('admin.noDeliveries')}</p>}
      {loaded.state === 'done' && loaded.data.deliveries.length > 0 && (
        <div class="table-wrap" aria-busy={loaded.busy}>
          <table>
            <caption class="visually-hidden">{t('admin.deliveriesOf', { id: String(webhook.id) })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.event')}</th>
                <th scope="col">{t('admin.status')}</th>
                <th scope="col">{t('admin.attempts')}</th>
                <th scope="col">{t('admin.lastError')}</th>
                <th scope="col">{t('admin.created')}</th>
                <th scope="col">{t('admin.completed')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.deliveries.map((delivery) => (
                <tr key={delivery.id} class={`delivery delivery-${delivery.status}`}>
                  <td class="mono">{delivery.event_type}</td>
                  <td>{t(DELIVERY_STATUS_KEYS[delivery.status])}</td>
                  <td>{delivery.attempts.length}</td>
                  <td class="excerpt">{problemText(lastProblem(delivery))}</td>
                  <td>
                    <time dateTime={delivery.created_at}>{dateTime(delivery.created_at)}</time>
                  </td>
                  <td>
                    {delivery.completed_at === null ? (
                      none
                    ) : (
                      <time dateTime={delivery.completed_at}>{dateTime(delivery.completed_at)}</time>
                    )}
                  </td>
                  <td>
                    {canRedeliver(delivery, webhook) && (
                      <button
                        type="button"
                        class="secondary"
                        aria-disabled={redelivering}
                        onClick={() => {
                          const path = { id: String(webhook.id), delivery_id: String(delivery.id) };
                          redeliver(() =>
                            attempt(() =>
                              api.POST('/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver', {
                                params: { path },
                              }),
                            ).then((outcome) => {
                              setProblem(outcome.ok ? null : outcome);
                              bump();
                            }),
                          );
                        }}
                      >
                        {t('admin.redeliver')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
