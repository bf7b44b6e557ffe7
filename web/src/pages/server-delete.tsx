// The delete on a server's page, behind a confirmation; DELETE carries If-Match.
import { useRef, useState } from 'preact/hooks';
import { type ApiError, api } from '../api.js';
import { apiError } from '../auth.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import { diffServers } from '../server-form.js';
import { type Conflict, type LoadedServer, failedWith, loadServer } from './server-edit.js';

/**
 * The delete, behind a confirmation in a modal <dialog>: it takes the focus (on Cancel, the safe
 * choice), Escape closes it, and the focus returns to the Delete button. DELETE carries If-Match: a
 * server changed since the page loaded it is not deleted unseen. The dialog closes on a success, a
 * change meanwhile (the page shows it) or a server deleted meanwhile (the page says so); any other
 * failure shows inside it.
 */
export function DeleteServer({
  loaded,
  onDeleted,
  onConflict,
  onGone,
}: {
  loaded: LoadedServer;
  onDeleted: () => void;
  onConflict: (conflict: Conflict) => void;
  /** The server was deleted meanwhile. */
  onGone: () => void;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<{ status: number; error: ApiError | null } | null>(null);

  async function remove(): Promise<void> {
    setBusy(true);
    setFailure(null);
    try {
      const { error, response } = await api.DELETE('/api/v1/servers/{id}', {
        params: { path: { id: String(loaded.server.id) } },
        headers: loaded.etag === null ? {} : { 'if-match': loaded.etag },
      });
      if (response.ok) {
        dialog.current?.close();
        onDeleted();
        return;
      }
      if (response.status === 404) {
        dialog.current?.close();
        onGone();
        return;
      }
      if (response.status === 412) {
        const current = await loadServer(loaded.server.id);
        if (current.data !== undefined) {
          dialog.current?.close();
          onConflict({ changes: diffServers(loaded.server, current.data.server), mine: [], yours: null });
          return;
        }
        if (current.response.status === 404) {
          // Deleted meanwhile: the page loads again and says by whom.
          dialog.current?.close();
          onGone();
          return;
        }
        // The dialog stays open: the failure shows in it.
        setFailure({ status: current.response.status, error: apiError(current.error) });
        return;
      }
      setFailure({ status: response.status, error: apiError(error) });
    } catch (error) {
      setFailure(failedWith(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button
        type="button"
        class="danger"
        ref={opener}
        onClick={() => {
          setFailure(null);
          dialog.current?.showModal();
          cancel.current?.focus();
        }}
      >
        {t('edit.delete')}
      </button>
      <dialog
        ref={dialog}
        aria-labelledby="delete-title"
        aria-describedby="delete-text"
        onClose={() => {
          opener.current?.focus();
        }}
      >
        <h2 id="delete-title">{t('delete.title', { hostname: loaded.server.hostname })}</h2>
        <p id="delete-text">{t('delete.text')}</p>
        {failure !== null && <Failure loaded={failure} />}
        <div class="actions">
          <button
            type="button"
            class="secondary"
            ref={cancel}
            onClick={() => {
              dialog.current?.close();
            }}
          >
            {t('edit.cancel')}
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
            {t('delete.confirm')}
          </button>
        </div>
      </dialog>
    </>
  );
}
