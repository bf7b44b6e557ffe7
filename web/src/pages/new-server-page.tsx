import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { apiError } from '../auth.js';
import type { Session } from '../app.js';
import { useI18n } from '../i18n/i18n.js';
import { Link } from '../link.js';
import { leaveNotice } from '../notice.js';
import { navigate } from '../router.js';
import { buildCreate, canWrite, emptyForm, parseTags } from '../server-form.js';
import { type Refusal, ServerForm } from './edit-form.js';
import { useDefinitions } from './server-edit.js';

/** /servers/new: the server form, sent as POST /api/v1/servers; the new server's page follows. */
export function NewServerPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const definitions = useDefinitions(session.generation);
  const [form, setForm] = useState(emptyForm);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(): Promise<void> {
    const defs = definitions.state === 'done' ? definitions.data.custom_fields : [];
    setBusy(true);
    try {
      const { data, error, response } = await api.POST('/api/v1/servers', {
        body: buildCreate(form, defs) as never,
      });
      const created = data as { id?: unknown } | undefined;
      if (response.ok && typeof created?.id === 'number') {
        leaveNotice({ key: 'edit.created' });
        navigate(`/servers/${created.id}`);
        return;
      }
      setRefusal({ status: response.status, error: apiError(error), tags: parseTags(form.tags) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      setRefusal({ status: 0, error: { error: message, code: 'NETWORK' }, tags: [] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <p>
        <Link href="/servers">{t('server.back')}</Link>
      </p>
      <h1>{t('edit.new')}</h1>
      {canWrite(session.self) ? (
        <ServerForm
          form={form}
          setForm={setForm}
          definitions={definitions}
          refusal={refusal}
          busy={busy}
          submitLabel={t('edit.create')}
          onSubmit={() => void create()}
          onCancel={() => {
            navigate('/servers');
          }}
          managedBy={null}
        />
      ) : (
        <p class="notice">{t('edit.needWrite')}</p>
      )}
    </>
  );
}
