// Writing on a server's page: the edit (PATCH with If-Match) and the delete (DELETE with If-Match,
// after a confirmation), and what a 412 shows: what someone else changed since the page loaded it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, type CustomField, type Server, api } from '../api.js';
import { apiError } from '../auth.js';
import { type I18n, useI18n } from '../i18n/i18n.js';
import { STATUS_KEYS } from '../labels.js';
import {
  type FieldChange,
  type FormState,
  type InputKey,
  buildPatch,
  diffServers,
  editedInputs,
  formFromServer,
  rebase,
} from '../server-form.js';
import { type Loaded, useRequest } from '../use-request.js';
import { type Refusal, ServerForm, useInputLabel } from './edit-form.js';

/** A server as GET /api/v1/servers/{id} gave it: the body, its ETag, and the Last-Seen-At header. */
export interface LoadedServer {
  server: Server;
  etag: string | null;
  lastSeen: string | null;
}

/** A value of the API as text (never as markup: inventory text is untrusted). */
export function valueText(value: unknown, i18n: I18n): string {
  if (value === null || value === undefined || value === '') {
    return i18n.t('value.none');
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? i18n.t('value.none') : value.map((item) => valueText(item, i18n)).join(', ');
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return JSON.stringify(value);
}

/** GET /api/v1/servers/{id}, with the headers the console needs beside the body. */
export async function loadServer(id: number) {
  const result = await api.GET('/api/v1/servers/{id}', { params: { path: { id: String(id) } } });
  const headers = result.response.headers;
  return {
    ...result,
    data:
      result.data === undefined
        ? undefined
        : { server: result.data, etag: headers.get('etag'), lastSeen: headers.get('last-seen-at') },
  };
}

/** The custom fields' definitions (GET /api/v1/custom-fields, read scope), which the form's inputs follow. */
export function useDefinitions(generation: number): Loaded<{ custom_fields: CustomField[] }> {
  return useRequest(() => api.GET('/api/v1/custom-fields'), [generation]);
}

function isStatus(value: string): value is FormState['status'] {
  return Object.hasOwn(STATUS_KEYS, value);
}

/** A request that got no answer (network down, server gone), as a failure to show. */
export function failedWith(error: unknown): { status: 0; error: ApiError } {
  return { status: 0, error: { error: error instanceof Error ? error.message : String(error), code: 'NETWORK' } };
}

/** What someone else changed: the fields that differ between the version opened and the current one. */
export interface Conflict {
  changes: FieldChange[];
  /** The inputs this person had edited (their values are kept in the form). */
  mine: InputKey[];
  /** The form as this person had it, for the "your edit" column. */
  yours: FormState | null;
  /** The custom fields of type boolean, whose values read yes and no. */
  booleans?: readonly string[];
}

/** Someone else changed the server: what, field by field, and what happens now. */
export function ConflictNotice({ conflict, action }: { conflict: Conflict; action: 'edit' | 'delete' }) {
  const i18n = useI18n();
  const { t } = i18n;
  const labelOf = useInputLabel();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.focus();
  }, [conflict]);
  const yours = (field: string): string => {
    if (conflict.yours === null || !conflict.mine.includes(field as InputKey)) {
      return '';
    }
    const form = conflict.yours;
    if (field.startsWith('custom_fields.')) {
      const name = field.slice('custom_fields.'.length);
      const value = form.custom[name] ?? '';
      const boolean = conflict.booleans?.includes(name) === true;
      return boolean && value === 'true'
        ? t('edit.yes')
        : boolean && value === 'false'
          ? t('edit.no')
          : valueText(value, i18n);
    }
    const value = form[field as Exclude<keyof FormState, 'custom'>];
    return valueText(field === 'status' ? t(STATUS_KEYS[value as FormState['status']]) : value, i18n);
  };
  /** A version's value: a status in words, a boolean as yes or no, anything else as text. */
  const shown = (field: string, value: unknown): string =>
    field === 'status' && typeof value === 'string' && isStatus(value)
      ? t(STATUS_KEYS[value])
      : typeof value === 'boolean'
        ? t(value ? 'edit.yes' : 'edit.no')
        : valueText(value, i18n);
  return (
    <div class="conflict" role="group" tabIndex={-1} ref={box} aria-labelledby="conflict-title">
      <p id="conflict-title">
        <strong>{t('conflict.title')}</strong>
      </p>
      <p>{t(action === 'edit' ? 'conflict.edit' : 'conflict.delete')}</p>
      {conflict.changes.length === 0 ? (
        <p>{t('conflict.noDiff')}</p>
      ) : (
        <div class="table-wrap">
          <table class="diff">
            <thead>
              <tr>
                <th scope="col">{t('change.field')}</th>
                <th scope="col">{t('conflict.opened')}</th>
                <th scope="col">{t('conflict.now')}</th>
                {action === 'edit' && <th scope="col">{t('conflict.yours')}</th>}
              </tr>
            </thead>
            <tbody>
              {conflict.changes.map((change) => (
                <tr key={change.field}>
                  <th scope="row">{labelOf(change.field)}</th>
                  <td class="from">{shown(change.field, change.from)}</td>
                  <td class="to">{shown(change.field, change.to)}</td>
                  {action === 'edit' && <td>{yours(change.field)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** Edits not saved yet, kept by the page over a sign-out: the version they were made on, and the form. */
export interface Draft {
  server: Server;
  etag: string | null;
  /** The form as that version filled it. */
  base: FormState;
  /** The form as the person left it. */
  form: FormState;
}

/**
 * The edit: a form over `loaded` (or over `draft`, edits kept over a sign-out), sent as a merge patch
 * of the changed fields with If-Match. On a 412, the current version replaces the one opened, the
 * person's edits stay on top of it (those typed during the save too), and what changed is shown; the
 * next save carries the current ETag. A server deleted meanwhile, and a token refused (401), are the
 * page's to show: the form hands them up, the latter with the edits.
 */
export function EditServer({
  loaded,
  draft,
  onSaved,
  onCancel,
  onConflict,
  onGone,
  onSignedOut,
}: {
  loaded: LoadedServer;
  draft: Draft | null;
  onSaved: () => void;
  onCancel: () => void;
  /** Someone else changed the server: the page loads it again (its view, its history, its Delete). */
  onConflict: () => void;
  /** The server was deleted meanwhile. */
  onGone: () => void;
  /** The token was refused: the console signs out, and the page keeps these edits for the next sign-in. */
  onSignedOut: (draft: Draft) => void;
}) {
  const { t } = useI18n();
  // Mounted for a signed-in writer only: a sign-out or sign-in unmounts it.
  const definitions = useDefinitions(0);
  const [base, setBase] = useState(() =>
    draft === null
      ? { server: loaded.server, etag: loaded.etag, form: formFromServer(loaded.server) }
      : { server: draft.server, etag: draft.etag, form: draft.base },
  );
  const [form, setForm] = useState(() => draft?.form ?? base.form);
  // The form as last rendered: what a save that ends after more typing reads.
  const latest = useRef(form);
  latest.current = form;
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [busy, setBusy] = useState(false);
  const [unchanged, setUnchanged] = useState(false);
  // The Edit button that opened the form is gone: the focus goes to the form's heading.
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    title.current?.focus();
  }, []);
  const defs = definitions.state === 'done' ? definitions.data.custom_fields : [];
  const id = String(loaded.server.id);

  async function conflicted(opened: typeof base): Promise<void> {
    const current = await loadServer(loaded.server.id);
    if (current.data === undefined) {
      if (current.response.status === 404) {
        onGone();
      } else {
        setRefusal({ status: current.response.status, error: apiError(current.error), tags: [] });
      }
      return;
    }
    const now = formFromServer(current.data.server);
    // What was typed while the save was on its way counts too: the form as it is now, not as sent.
    const mine = latest.current;
    setConflict({
      changes: diffServers(opened.server, current.data.server),
      mine: editedInputs(opened.form, mine, defs),
      yours: mine,
      booleans: defs.filter((d) => d.type === 'boolean').map((d) => d.name),
    });
    setForm((typed) => rebase(opened.form, typed, now, defs));
    setBase({ server: current.data.server, etag: current.data.etag, form: now });
    onConflict();
  }

  async function save(): Promise<void> {
    const opened = base;
    const patch = buildPatch(opened.form, form, defs);
    if (Object.keys(patch).length === 0) {
      setUnchanged(true);
      return;
    }
    setUnchanged(false);
    setBusy(true);
    try {
      const { error, response } = await api.PATCH('/api/v1/servers/{id}', {
        params: { path: { id } },
        body: patch as never,
        headers: {
          'content-type': 'application/merge-patch+json',
          ...(opened.etag === null ? {} : { 'if-match': opened.etag }),
        },
      });
      if (response.ok) {
        onSaved();
        return;
      }
      setRefusal(null);
      if (response.status === 412) {
        await conflicted(opened);
      } else if (response.status === 404) {
        onGone();
      } else if (response.status === 401) {
        onSignedOut({ server: opened.server, etag: opened.etag, base: opened.form, form: latest.current });
      } else {
        setRefusal({ status: response.status, error: apiError(error), tags: patch.tags ?? [] });
      }
    } catch (error) {
      setRefusal({ ...failedWith(error), tags: [] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="edit-title">
      <h2 id="edit-title" tabIndex={-1} ref={title}>
        {t('edit.title', { hostname: base.server.hostname })}
      </h2>
      <ServerForm
        form={form}
        setForm={setForm}
        definitions={definitions}
        refusal={refusal}
        busy={busy}
        submitLabel={t('edit.save')}
        onSubmit={() => void save()}
        onCancel={onCancel}
        managedBy={base.server.managed_by}
      >
        {draft !== null && conflict === null && (
          <p role="status" class="notice">
            {t('edit.draftRestored')}
          </p>
        )}
        {conflict !== null && <ConflictNotice conflict={conflict} action="edit" />}
        {unchanged && (
          <p role="status" class="notice">
            {t('edit.unchanged')}
          </p>
        )}
      </ServerForm>
    </section>
  );
}
