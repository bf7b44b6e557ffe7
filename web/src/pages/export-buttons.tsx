import { useState } from 'preact/hooks';
import { type ApiError, api } from '../api.js';
import { apiError } from '../auth.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  type ListState,
  exportFileName,
  exportQuery,
  serializeListQuery,
} from '../list-state.js';

/**
 * FileSaver.js's delay: revoking the object URL in the same task as the click can cancel the download
 * in some browsers; the blob is released once the browser has taken it.
 */
const REVOKE_AFTER_MS = 40_000;

/** Saves `blob` as a download named `name`: an object URL behind a link with `download`, revoked afterwards. */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, REVOKE_AFTER_MS);
}

type ExportState =
  | { state: 'idle' }
  | { state: 'busy'; format: ExportFormat }
  | { state: 'failed'; status: number; error: ApiError | null };

/**
 * The list's filters and sort exported whole, as CSV or NDJSON. The request carries the token in its
 * Authorization header (never in a URL), so the console fetches the file itself, in memory, and then
 * hands it to the browser as a download.
 */
export function ExportButtons({ state }: { state: ListState }) {
  const { t } = useI18n();
  const [exporting, setExporting] = useState<ExportState>({ state: 'idle' });
  const run = async (format: ExportFormat) => {
    setExporting({ state: 'busy', format });
    try {
      const { data, error, response } = await api.GET('/api/v1/servers', {
        params: { query: exportQuery(state, format) },
        querySerializer: serializeListQuery,
        parseAs: 'blob',
      });
      if (data !== undefined && response.ok) {
        save(data, exportFileName(format, new Date()));
        setExporting({ state: 'idle' });
      } else {
        setExporting({ state: 'failed', status: response.status, error: apiError(error) });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      setExporting({ state: 'failed', status: 0, error: { error: message, code: 'NETWORK' } });
    }
  };
  const busy = exporting.state === 'busy';
  return (
    <div class="export" aria-busy={busy}>
      {EXPORT_FORMATS.map((format) => (
        <button
          key={format}
          type="button"
          class="secondary"
          // aria-disabled, not disabled: the focus stays on the button while the file is fetched.
          aria-disabled={busy}
          onClick={() => {
            if (!busy) {
              void run(format);
            }
          }}
        >
          {t(format === 'csv' ? 'servers.exportCsv' : 'servers.exportNdjson')}
        </button>
      ))}
      <p class="export-status" aria-live="polite">
        {busy ? t('servers.exporting') : ''}
      </p>
      {exporting.state === 'failed' && <Failure loaded={exporting} />}
    </div>
  );
}
