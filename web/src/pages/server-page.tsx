import { useEffect, useRef, useState } from 'preact/hooks';
import { type Change, api } from '../api.js';
import type { Session } from '../app.js';
import { Failure } from '../failure.js';
import { deletion } from '../history.js';
import { useI18n } from '../i18n/i18n.js';
import { FIELD_KEYS, STATUS_KEYS, isFieldName } from '../labels.js';
import { Link } from '../link.js';
import { type Notice, leaveNotice, takeNotice } from '../notice.js';
import { navigate } from '../router.js';
import { canWrite } from '../server-form.js';
import { useRequest } from '../use-request.js';
import {
  type Conflict,
  ConflictNotice,
  type Draft,
  EditServer,
  type LoadedServer,
  loadServer,
  valueText,
} from './server-edit.js';
import { DeleteServer } from './server-delete.js';

const CHANGE_KEYS = { create: 'change.create', update: 'change.update', delete: 'change.delete' } as const;

function Fields({ loaded: { server, lastSeen } }: { loaded: LoadedServer }) {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const rows: [string, string, string | null][] = [
    [t(FIELD_KEYS.id), String(server.id), null],
    [t(FIELD_KEYS.ip), server.ip, null],
    [t(FIELD_KEYS.status), t(STATUS_KEYS[server.status]), null],
    [t(FIELD_KEYS.environment), valueText(server.environment, i18n), null],
    [t(FIELD_KEYS.role), valueText(server.role, i18n), null],
    [t(FIELD_KEYS.location), valueText(server.location, i18n), null],
    [t(FIELD_KEYS.os), valueText(server.os, i18n), null],
    [t(FIELD_KEYS.tags), valueText(server.tags, i18n), null],
    [t(FIELD_KEYS.notes), valueText(server.notes, i18n), null],
    [t(FIELD_KEYS.managed_by), valueText(server.managed_by, i18n), null],
    // Served beside the server (the Last-Seen-At header), not in it: absent until an apply sees it.
    [t(FIELD_KEYS.last_seen_at), lastSeen === null ? t('value.never') : dateTime(lastSeen), lastSeen],
    [t(FIELD_KEYS.created_at), dateTime(server.created_at), server.created_at],
    [t(FIELD_KEYS.updated_at), dateTime(server.updated_at), server.updated_at],
  ];
  const custom = Object.entries(server.custom_fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return (
    <section aria-labelledby="fields-title">
      <h2 id="fields-title">{t('server.fields')}</h2>
      <dl class="fields">
        {rows.map(([label, value, iso]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{iso === null ? value : <time dateTime={iso}>{value}</time>}</dd>
          </div>
        ))}
      </dl>
      <h3>{t(FIELD_KEYS.custom_fields)}</h3>
      {custom.length === 0 ? (
        <p>{t('server.noCustomFields')}</p>
      ) : (
        <dl class="fields">
          {custom.map(([name, value]) => (
            <div key={name}>
              <dt class="mono">{name}</dt>
              <dd>{valueText(value, i18n)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

function ChangeEntry({ change }: { change: Change }) {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const fields = Object.entries(change.changes);
  return (
    <li class="change">
      <p class="change-head">
        <strong>{t(CHANGE_KEYS[change.action], { actor: change.actor })}</strong>{' '}
        <time dateTime={change.at}>{dateTime(change.at)}</time>
      </p>
      {fields.length > 0 && (
        <div class="table-wrap">
          <table class="diff">
            <thead>
              <tr>
                <th scope="col">{t('change.field')}</th>
                <th scope="col">{t('change.from')}</th>
                <th scope="col">{t('change.to')}</th>
              </tr>
            </thead>
            <tbody>
              {fields.map(([name, diff]) => (
                <tr key={name}>
                  <th scope="row">{isFieldName(name) ? t(FIELD_KEYS[name]) : name}</th>
                  <td class="from">{valueText(diff.from, i18n)}</td>
                  <td class="to">{valueText(diff.to, i18n)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </li>
  );
}

function NotFound({ id, deleted }: { id: number; deleted: Change | null }) {
  const { t, dateTime } = useI18n();
  if (deleted === null) {
    return <h1>{t('server.notFound', { id: String(id) })}</h1>;
  }
  return (
    <>
      <h1>{t('server.deleted', { id: String(id) })}</h1>
      <p>
        {t('change.delete', { actor: deleted.actor })} <time dateTime={deleted.at}>{dateTime(deleted.at)}</time>
      </p>
    </>
  );
}

export function ServerPage({ id, session }: { id: number; session: Session }) {
  const { t } = useI18n();
  // Bumped after a write: the server and its history load again.
  const [version, setVersion] = useState(0);
  // Stays true over a sign-out: a writer's next sign-in opens the form again.
  const [editing, setEditing] = useState(false);
  // Edits the API did not take because the token was refused: kept for the next sign-in (this page is
  // this server's: the app keys it by id).
  const [draft, setDraft] = useState<Draft | null>(null);
  const [notice, setNotice] = useState<Notice | null>(takeNotice);
  const [deleteConflict, setDeleteConflict] = useState<Conflict | null>(null);
  const server = useRequest(() => loadServer(id), [id, session.generation, version]);
  const history = useRequest(
    () => api.GET('/api/v1/servers/{id}/history', { params: { path: { id: String(id) } } }),
    [id, session.generation, version],
  );
  const writer = canWrite(session.self);
  // Back from the form (saved or cancelled): the focus returns to the Edit button.
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  useEffect(() => {
    if (wasEditing.current && !editing) {
      editButton.current?.focus();
    }
    wasEditing.current = editing;
  }, [editing]);
  const reload = () => {
    setVersion((v) => v + 1);
  };
  return (
    <>
      <p>
        <Link href="/servers">{t('server.back')}</Link>
      </p>
      {draft !== null && !writer && (
        <p role="alert" class="error">
          {t('edit.draftKept')}
        </p>
      )}
      {server.state === 'loading' && <p aria-live="polite">{t('app.loading')}</p>}
      {server.state === 'failed' && server.status !== 404 && <Failure loaded={server} />}
      {server.state === 'failed' && server.status === 404 && (
        <NotFound id={id} deleted={history.state === 'done' ? deletion(history.data.changes) : null} />
      )}
      {server.state === 'done' && (
        <>
          <h1>{server.data.server.hostname}</h1>
          {notice !== null && (
            <p role="status" class="notice">
              {t(notice.key, notice.params)}
            </p>
          )}
          {deleteConflict !== null && <ConflictNotice conflict={deleteConflict} action="delete" />}
          {writer && !editing && (
            <div class="actions write-actions">
              <button
                type="button"
                ref={editButton}
                onClick={() => {
                  setNotice(null);
                  setDeleteConflict(null);
                  setEditing(true);
                }}
              >
                {t('edit.edit')}
              </button>
              <DeleteServer
                loaded={server.data}
                onDeleted={() => {
                  leaveNotice({ key: 'delete.done', params: { hostname: server.data.server.hostname } });
                  navigate('/servers');
                }}
                onConflict={(conflict) => {
                  setNotice(null);
                  setDeleteConflict(conflict);
                  reload();
                }}
                onGone={reload}
              />
            </div>
          )}
          {writer && editing ? (
            <EditServer
              // One form for the server, kept while the page loads it again after a conflict; the
              // page's view, history and Delete follow the version loaded.
              key={server.data.server.id}
              loaded={server.data}
              draft={draft}
              onSaved={() => {
                setEditing(false);
                setDraft(null);
                setNotice({ key: 'edit.saved' });
                reload();
              }}
              onCancel={() => {
                setEditing(false);
                setDraft(null);
              }}
              onConflict={reload}
              onGone={() => {
                setEditing(false);
                setDraft(null);
                reload();
              }}
              onSignedOut={setDraft}
            />
          ) : (
            <Fields loaded={server.data} />
          )}
        </>
      )}
      {/* A deleted server's history stays: who created, changed and deleted it. */}
      {(server.state !== 'failed' ||
        (server.status === 404 && history.state === 'done' && history.data.changes.length > 0)) && (
        <section aria-labelledby="history-title">
          <h2 id="history-title">{t('server.history')}</h2>
          {history.state === 'failed' && <Failure loaded={history} />}
          {history.state === 'done' &&
            (history.data.changes.length === 0 ? (
              <p>{t('server.noHistory')}</p>
            ) : (
              <ol class="timeline" reversed>
                {[...history.data.changes].reverse().map((change) => (
                  <ChangeEntry key={change.seq} change={change} />
                ))}
              </ol>
            ))}
        </section>
      )}
    </>
  );
}
