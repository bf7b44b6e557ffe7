import { useEffect, useRef, useState } from 'preact/hooks';
import { type Change, api } from '../api.js';
import type { Session } from '../app.js';
import {
  ACTIVITY_MAX,
  ACTIVITY_PAGE,
  changeOfEvent,
  offersOlder,
  oldestSeq,
  serverName,
  streamStart,
  withLive,
  withOlder,
} from '../activity.js';
import { type Stopped, type StreamState, followStream } from '../change-stream.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/messages.js';
import { FIELD_KEYS, isFieldName } from '../labels.js';
import { Link } from '../link.js';
import { type Loaded, useRequest } from '../use-request.js';

const CHANGE_KEYS = { create: 'change.create', update: 'change.update', delete: 'change.delete' } as const;

const STATE_KEYS = {
  connecting: 'activity.connecting',
  live: 'activity.live',
  reconnecting: 'activity.reconnecting',
  stopped: 'activity.stopped',
} as const satisfies Record<StreamState, MessageKey>;

/** Opens the change stream through the API client: its token, and a 401's sign-out, as for every request. */
async function connect(lastEventId: string, signal: AbortSignal): Promise<Response> {
  const { response } = await api.GET('/api/v1/changes/stream', {
    params: { header: { 'last-event-id': lastEventId } },
    parseAs: 'stream',
    signal,
  });
  return response;
}

function Entry({ change }: { change: Change }) {
  const { t, dateTime } = useI18n();
  const fields = Object.keys(change.changes).map((name) => (isFieldName(name) ? t(FIELD_KEYS[name]) : name));
  return (
    <li class="change" data-seq={change.seq}>
      <p class="change-head">
        <Link href={`/servers/${String(change.server_id)}`} class="server-link">
          {serverName(change)}
        </Link>{' '}
        <span>{t(CHANGE_KEYS[change.action], { actor: change.actor })}</span>{' '}
        <time dateTime={change.at}>{dateTime(change.at)}</time>
      </p>
      {change.action === 'update' && fields.length > 0 && (
        <p class="change-fields">{t('activity.fields', { fields: fields.join(', ') })}</p>
      )}
    </li>
  );
}

/** Whether the live updates are on: said once per change of state (a polite live region), not per event. */
function Indicator({ state, stopped }: { state: StreamState; stopped: Stopped | null }) {
  const { t } = useI18n();
  const why = stopped?.reason;
  return (
    <p class={`live live-${state}`} role="status">
      <span class="live-dot" aria-hidden="true" />
      {why === 'refused' ? t('auth.needed') : why === 'forbidden' ? t('activity.forbidden') : t(STATE_KEYS[state])}
    </p>
  );
}

export function ActivityPage({ session }: { session: Session }) {
  const { t, number } = useI18n();
  const first = useRequest(
    () => api.GET('/api/v1/changes', { params: { query: { order: 'desc', limit: ACTIVITY_PAGE } } }),
    [session.generation],
  );
  /**
   * What the page shows, newest first: the first page, what the stream brought since, and the pages
   * before it; one list, capped as a whole, so that it runs without a gap (null until the first page).
   */
  const [list, setList] = useState<Change[] | null>(null);
  const [older, setOlder] = useState<Loaded<{ done: boolean }> | null>(null);
  const [state, setState] = useState<StreamState>('connecting');
  const [stopped, setStopped] = useState<Stopped | null>(null);
  /** Counts the lists the page has started: an older page asked for an earlier one is dropped. */
  const epoch = useRef(0);
  const firstPage = first.state === 'done' ? first.data.changes : null;
  const start = firstPage === null ? null : streamStart(firstPage);

  useEffect(() => {
    epoch.current += 1;
    setList(firstPage === null ? null : [...firstPage]);
    setOlder(null);
    setStopped(null);
    if (start === null) {
      return undefined;
    }
    // The stream starts after the newest change of the first page: nothing missed in between.
    const controller = new AbortController();
    // A stream this effect no longer wants (the session changed, the page left) says nothing more.
    const current = () => !controller.signal.aborted;
    void followStream({
      connect,
      signal: controller.signal,
      lastEventId: start,
      onEvent: (event) => {
        const change = changeOfEvent(event);
        if (change !== null && current()) {
          setList((shown) => withLive(shown ?? [], change));
        }
      },
      onState: (next) => {
        if (current()) {
          setState(next);
        }
      },
    }).then((why) => {
      if (why.reason !== 'aborted' && current()) {
        setStopped(why);
      }
    });
    return () => {
      controller.abort();
    };
  }, [firstPage, start, session.generation]);

  const changes = list ?? [];
  const oldest = oldestSeq(changes);
  const loadOlder = () => {
    if (oldest === null) {
      return;
    }
    const asked = epoch.current;
    const stale = () => epoch.current !== asked;
    setOlder({ state: 'loading' });
    api.GET('/api/v1/changes', { params: { query: { order: 'desc', before: oldest, limit: ACTIVITY_PAGE } } }).then(
      ({ data, error, response }) => {
        if (stale()) {
          return;
        }
        if (data === undefined) {
          setOlder({ state: 'failed', status: response.status, error });
          return;
        }
        setList((shown) => withOlder(shown ?? [], data.changes));
        setOlder({ state: 'done', data: { done: data.changes.length < ACTIVITY_PAGE }, busy: false });
      },
      (error: unknown) => {
        if (stale()) {
          return;
        }
        setOlder({
          state: 'failed',
          status: 0,
          error: { error: error instanceof Error ? error.message : String(error), code: 'NETWORK' },
        });
      },
    );
  };
  const done = older?.state === 'done' && older.data.done;

  return (
    <>
      <h1>{t('activity.title')}</h1>
      {first.state === 'done' && <Indicator state={state} stopped={stopped} />}
      {first.state === 'loading' && <p aria-live="polite">{t('app.loading')}</p>}
      {first.state === 'failed' && <Failure loaded={first} />}
      {list !== null &&
        (changes.length === 0 ? (
          <p>{t('activity.empty')}</p>
        ) : (
          <>
            <ol class="timeline activity" aria-label={t('activity.list')}>
              {changes.map((change) => (
                <Entry key={change.seq} change={change} />
              ))}
            </ol>
            {older?.state === 'failed' && <Failure loaded={older} />}
            {firstPage !== null && offersOlder(firstPage.length, changes, done) && (
              <button type="button" class="secondary" disabled={older?.state === 'loading'} onClick={loadOlder}>
                {t('activity.older')}
              </button>
            )}
            {changes.length >= ACTIVITY_MAX && (
              <p class="muted">{t('activity.kept', { count: number(ACTIVITY_MAX) })}</p>
            )}
          </>
        ))}
    </>
  );
}
