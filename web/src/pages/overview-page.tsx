import { useMemo } from 'preact/hooks';
import { api } from '../api.js';
import type { Session } from '../app.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/messages.js';
import { FIELD_KEYS, STATUS_KEYS } from '../labels.js';
import { Link } from '../link.js';
import type { Status } from '../list-state.js';
import {
  type Dimension,
  NEVER_SEEN_QUERY,
  NEVER_SEEN_UNMANAGED_QUERY,
  NONE,
  PERIODS,
  type Period,
  bars,
  countHref,
  isPeriod,
  parsePeriod,
  periodSearch,
  periodStart,
  staleQuery,
} from '../overview.js';
import { navigate } from '../router.js';
import { useRequest } from '../use-request.js';

const TITLE_KEYS = {
  status: 'overview.byStatus',
  environment: 'overview.byEnvironment',
  role: 'overview.byRole',
  location: 'overview.byLocation',
} as const satisfies Record<Dimension, MessageKey>;

const PERIOD_KEYS = {
  '1h': 'period.hour',
  '24h': 'period.day',
  '7d': 'period.week',
  '30d': 'period.month',
} as const satisfies Record<Period, MessageKey>;

/**
 * One dimension's counts as a table (what a screen reader reads: each value and its number) with a bar
 * beside each number. The bar is SVG whose length is an attribute, not a style: the console's policy
 * (style-src 'self') refuses style attributes, and SVG presentation attributes are not styles.
 */
function Chart({ dimension, counts }: { dimension: Dimension; counts: Readonly<Record<string, number>> }) {
  const { t, number, plural } = useI18n();
  const id = `chart-${dimension}`;
  const label = (value: string) => {
    if (value === NONE) {
      return t('overview.none');
    }
    return dimension === 'status' && Object.hasOwn(STATUS_KEYS, value) ? t(STATUS_KEYS[value as Status]) : value;
  };
  return (
    <section class="chart" aria-labelledby={id}>
      <h2 id={id}>{t(TITLE_KEYS[dimension])}</h2>
      <table class="bars">
        <thead>
          <tr>
            <th scope="col">{t(FIELD_KEYS[dimension])}</th>
            <th scope="col">{t('overview.count')}</th>
          </tr>
        </thead>
        <tbody>
          {bars(dimension, counts).map((bar) => {
            const href = countHref(dimension, bar.value);
            return (
              <tr key={bar.value} data-value={bar.value}>
                <th scope="row">{label(bar.value)}</th>
                <td>
                  <div class="bar-cell">
                    <span class="bar-count">
                      {href === null ? (
                        number(bar.count)
                      ) : (
                        <Link
                          href={href}
                          label={t(plural(bar.count) === 'one' ? 'overview.countOne' : 'overview.countOther', {
                            count: number(bar.count),
                            field: t(FIELD_KEYS[dimension]),
                            value: label(bar.value),
                          })}
                        >
                          {number(bar.count)}
                        </Link>
                      )}
                    </span>
                    <svg class="bar" aria-hidden="true" focusable="false">
                      <rect
                        class={dimension === 'status' ? `bar-fill fill-${bar.value}` : 'bar-fill'}
                        width={`${String(bar.percent)}%`}
                        height="100%"
                      />
                    </svg>
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Stale({ period, session }: { period: Period; session: Session }) {
  const { t, number, plural, dateTime } = useI18n();
  // The start of the period, taken when the period is chosen (not at every render).
  const at = useMemo(() => periodStart(Date.now(), period), [period]);
  const stale = useRequest(
    () => api.GET('/api/v1/servers', { params: { query: staleQuery(at) } }),
    [at, session.generation],
  );
  const never = useRequest(
    () =>
      Promise.all([
        api.GET('/api/v1/servers', { params: { query: NEVER_SEEN_QUERY } }),
        api.GET('/api/v1/servers', { params: { query: NEVER_SEEN_UNMANAGED_QUERY } }),
      ]).then(([all, unmanaged]) =>
        all.data !== undefined && unmanaged.data !== undefined
          ? { data: Math.max(0, all.data.count - unmanaged.data.count), response: all.response }
          : {
              error: all.error ?? unmanaged.error,
              response: all.data === undefined ? all.response : unmanaged.response,
            },
      ),
    [session.generation],
  );
  return (
    <section aria-labelledby="stale-title">
      <h2 id="stale-title">{t('overview.stale')}</h2>
      <label class="field inline">
        <span>{t('overview.period')}</span>
        <select
          value={period}
          onChange={(event) => {
            const value = event.currentTarget.value;
            if (isPeriod(value)) {
              navigate(`/overview${periodSearch(value)}`, { replace: true });
            }
          }}
        >
          {(Object.keys(PERIODS) as Period[]).map((p) => (
            <option key={p} value={p}>
              {t(PERIOD_KEYS[p])}
            </option>
          ))}
        </select>
      </label>
      {stale.state === 'loading' && <p>{t('app.loading')}</p>}
      {stale.state === 'failed' && <Failure loaded={stale} />}
      {stale.state === 'done' && (
        <div aria-busy={stale.busy}>
          <p class="stale-count" aria-live="polite">
            {t(plural(stale.data.count) === 'one' ? 'overview.staleOne' : 'overview.staleOther', {
              count: number(stale.data.count),
            })}{' '}
            <time dateTime={at}>{dateTime(at)}</time>
          </p>
          {stale.data.servers.length > 0 && (
            <>
              {stale.data.count > stale.data.servers.length && (
                <p>{t('overview.staleFirst', { count: number(stale.data.servers.length) })}</p>
              )}
              <ul class="stale-list">
                {stale.data.servers.map((server) => (
                  <li key={server.id}>
                    <Link href={`/servers/${String(server.id)}`}>{server.hostname}</Link>{' '}
                    {server.last_seen_at !== null && (
                      <time class="muted" dateTime={server.last_seen_at}>
                        {dateTime(server.last_seen_at)}
                      </time>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {never.state === 'failed' && <Failure loaded={never} />}
      {never.state === 'done' && <p class="never-seen">{t('overview.neverSeen', { count: number(never.data) })}</p>}
      <p class="muted">{t('overview.neverSeenHint')}</p>
    </section>
  );
}

export function OverviewPage({ search, session }: { search: string; session: Session }) {
  const { t, number } = useI18n();
  const summary = useRequest(() => api.GET('/api/v1/reports/summary'), [session.generation]);
  return (
    <>
      <h1>{t('overview.title')}</h1>
      {summary.state === 'loading' && <p aria-live="polite">{t('app.loading')}</p>}
      {summary.state === 'failed' && <Failure loaded={summary} />}
      {summary.state === 'done' && (
        <>
          <p class="total">
            {t('overview.total')}{' '}
            <Link href="/servers" class="total-count">
              {number(summary.data.total)}
            </Link>
          </p>
          <div class="charts">
            <Chart dimension="status" counts={summary.data.by_status} />
            <Chart dimension="environment" counts={summary.data.by_environment} />
            <Chart dimension="role" counts={summary.data.by_role} />
            <Chart dimension="location" counts={summary.data.by_location} />
          </div>
        </>
      )}
      {summary.state !== 'failed' && <Stale period={parsePeriod(search)} session={session} />}
    </>
  );
}
