import { useEffect, useState } from 'preact/hooks';
import { type ListedServer, api } from '../api.js';
import { type CustomField, fromLocalInput, toLocalInput, withoutValue } from '../custom-filters.js';
import type { Session } from '../app.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import { FIELD_KEYS, STATUS_KEYS } from '../labels.js';
import { Link } from '../link.js';
import {
  EMPTY_STATE,
  type ListState,
  PAGE_SIZES,
  SORT_KEYS,
  STATUSES,
  type SortKey,
  TEXT_FILTERS,
  TIME_FILTERS,
  listQuery,
  listSearch,
  nextSort,
  parseListState,
  serializeListQuery,
  sortDirection,
} from '../list-state.js';
import { takeNotice } from '../notice.js';
import { navigate } from '../router.js';
import { canWrite } from '../server-form.js';
import { useRequest } from '../use-request.js';
import { CustomFilterFields } from './custom-filter-fields.js';
import { ExportButtons } from './export-buttons.js';

const TEXT_FILTER_KEYS = {
  environment: FIELD_KEYS.environment,
  role: FIELD_KEYS.role,
  location: FIELD_KEYS.location,
  tag: FIELD_KEYS.tags,
  managed_by: FIELD_KEYS.managed_by,
} as const;

const TIME_FILTER_KEYS = {
  last_seen_after: 'servers.lastSeenAfter',
  last_seen_before: 'servers.lastSeenBefore',
} as const;

/** Goes to the list with `state`: a new history entry, so that the back button returns to the previous one. */
function go(state: ListState): void {
  navigate(`/servers${listSearch(state)}`);
}

function Filters({ state, fields }: { state: ListState; fields: readonly CustomField[] }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(state);
  // The URL changed (back button, a link): the form shows it.
  useEffect(() => {
    setDraft(state);
  }, [listSearch(state)]);
  return (
    <form
      class="filters"
      aria-label={t('servers.filters')}
      onSubmit={(event) => {
        event.preventDefault();
        go({ ...draft, cursor: null });
      }}
    >
      <fieldset class="statuses">
        <legend>{t('field.status')}</legend>
        {STATUSES.map((status) => (
          <label key={status} class="check">
            <input
              type="checkbox"
              name="status"
              value={status}
              checked={draft.status.includes(status)}
              onChange={(event) => {
                const on = event.currentTarget.checked;
                setDraft((d) => ({
                  ...d,
                  status: on ? [...d.status, status] : d.status.filter((s) => s !== status),
                }));
              }}
            />
            {t(STATUS_KEYS[status])}
          </label>
        ))}
      </fieldset>
      {TEXT_FILTERS.map((name) => (
        <label key={name} class="field">
          <span>{t(TEXT_FILTER_KEYS[name])}</span>
          <input
            name={name}
            value={draft[name]}
            title={t('servers.commaHint')}
            onInput={(event) => {
              const value = event.currentTarget.value;
              setDraft((d) => ({ ...d, [name]: value }));
            }}
          />
        </label>
      ))}
      {TIME_FILTERS.map((name) => (
        <label key={name} class="field">
          <span>{t(TIME_FILTER_KEYS[name])}</span>
          <input
            type="datetime-local"
            name={name}
            value={toLocalInput(draft[name])}
            onInput={(event) => {
              const value = fromLocalInput(event.currentTarget.value);
              setDraft((d) => ({ ...d, [name]: value }));
            }}
          />
        </label>
      ))}
      <CustomFilterFields
        fields={fields}
        active={state.cf}
        cf={draft.cf}
        onChange={(change) => {
          setDraft((d) => ({ ...d, cf: change(d.cf) }));
        }}
        onRemove={(param, value) => {
          go({ ...state, cf: withoutValue(state.cf, param, value), cursor: null });
        }}
      />
      <label class="field wide">
        <span>{t('servers.q')}</span>
        <input
          type="search"
          name="q"
          value={draft.q}
          onInput={(event) => {
            const value = event.currentTarget.value;
            setDraft((d) => ({ ...d, q: value }));
          }}
        />
      </label>
      <div class="actions">
        <button type="submit">{t('servers.apply')}</button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            go({ ...EMPTY_STATE, sort: state.sort, limit: state.limit });
          }}
        >
          {t('servers.clear')}
        </button>
      </div>
    </form>
  );
}

function SortHeader({ state, column }: { state: ListState; column: SortKey }) {
  const { t } = useI18n();
  const direction = sortDirection(state.sort, column);
  const label = t(FIELD_KEYS[column]);
  return (
    <th scope="col" aria-sort={direction}>
      <button
        type="button"
        class="sort"
        title={t('servers.sortBy', { field: label })}
        onClick={() => {
          go({ ...state, sort: nextSort(state.sort, column), cursor: null });
        }}
      >
        {label}
        <span aria-hidden="true" class="arrow">
          {direction === 'ascending' ? '▲' : direction === 'descending' ? '▼' : ''}
        </span>
      </button>
    </th>
  );
}

function Row({ server }: { server: ListedServer }) {
  const { t, dateTime } = useI18n();
  const none = t('value.none');
  return (
    <tr>
      <td>
        <Link href={`/servers/${server.id}`}>{server.hostname}</Link>
      </td>
      <td class="mono">{server.ip}</td>
      <td>
        <span class={`status status-${server.status}`}>{t(STATUS_KEYS[server.status])}</span>
      </td>
      <td>{server.environment ?? none}</td>
      <td>{server.role ?? none}</td>
      <td>{server.location ?? none}</td>
      <td>{server.tags.join(', ')}</td>
      <td>{server.managed_by ?? none}</td>
      <td>
        {server.last_seen_at === null ? (
          none
        ) : (
          <time dateTime={server.last_seen_at}>{dateTime(server.last_seen_at)}</time>
        )}
      </td>
      <td>
        <time dateTime={server.updated_at}>{dateTime(server.updated_at)}</time>
      </td>
    </tr>
  );
}

export function ServersPage({ search, session }: { search: string; session: Session }) {
  const { t, number, plural } = useI18n();
  const [notice] = useState(takeNotice);
  const state = parseListState(search);
  const loaded = useRequest(
    () =>
      api.GET('/api/v1/servers', {
        params: { query: listQuery(state) },
        querySerializer: serializeListQuery,
      }),
    [listSearch(state), session.generation],
  );
  // The definitions give the custom fields' filters; without them (a failure) the list still works.
  const definitions = useRequest(() => api.GET('/api/v1/custom-fields'), [session.generation]);
  const fields = definitions.state === 'done' ? definitions.data.custom_fields : [];
  return (
    <>
      <h1>{t('servers.title')}</h1>
      {notice !== null && (
        <p role="status" class="notice">
          {t(notice.key, notice.params)}
        </p>
      )}
      {/* Writes need a write or admin token: a read token, or none, is offered no write. */}
      {canWrite(session.self) && (
        <p>
          <Link href="/servers/new" class="button">
            {t('edit.new')}
          </Link>
        </p>
      )}
      <Filters state={state} fields={fields} />
      <ExportButtons state={state} />
      {loaded.state === 'loading' && <p aria-live="polite">{t('app.loading')}</p>}
      {loaded.state === 'failed' && <Failure loaded={loaded} />}
      {loaded.state === 'done' && (
        // While the next answer loads, this one stays (the focus stays on the control that asked for it).
        <div aria-busy={loaded.busy}>
          <p class="count" aria-live="polite">
            {t(plural(loaded.data.count) === 'one' ? 'servers.countOne' : 'servers.countOther', {
              count: number(loaded.data.count),
            })}
          </p>
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">{t('servers.table')}</caption>
              <thead>
                <tr>
                  <SortHeader state={state} column={SORT_KEYS[0]} />
                  <SortHeader state={state} column={SORT_KEYS[1]} />
                  <SortHeader state={state} column={SORT_KEYS[2]} />
                  <SortHeader state={state} column={SORT_KEYS[3]} />
                  <th scope="col">{t(FIELD_KEYS.role)}</th>
                  <th scope="col">{t(FIELD_KEYS.location)}</th>
                  <th scope="col">{t(FIELD_KEYS.tags)}</th>
                  <th scope="col">{t(FIELD_KEYS.managed_by)}</th>
                  <th scope="col">{t('servers.lastSeen')}</th>
                  <SortHeader state={state} column={SORT_KEYS[4]} />
                </tr>
              </thead>
              <tbody>
                {loaded.data.servers.map((server) => (
                  <Row key={server.id} server={server} />
                ))}
              </tbody>
            </table>
          </div>
          {loaded.data.servers.length === 0 && <p>{t('servers.empty')}</p>}
          <div class="pager">
            <label class="field">
              <span>{t('servers.pageSize')}</span>
              <select
                value={String(state.limit)}
                onChange={(event) => {
                  go({ ...state, limit: Number(event.currentTarget.value), cursor: null });
                }}
              >
                {PAGE_SIZES.map((size) => (
                  <option key={size} value={String(size)}>
                    {number(size)}
                  </option>
                ))}
              </select>
            </label>
            {state.cursor !== null && (
              <button
                type="button"
                class="secondary"
                onClick={() => {
                  go({ ...state, cursor: null });
                }}
              >
                {t('servers.first')}
              </button>
            )}
            {loaded.data.next !== null && (
              <button
                type="button"
                onClick={() => {
                  go({ ...state, cursor: loaded.data.next });
                }}
              >
                {t('servers.next')}
              </button>
            )}
          </div>
        </div>
      )}
    </>
  );
}
