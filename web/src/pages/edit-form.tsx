// The server form, shared by the edit (on a server's page) and the create page: one input per field,
// the custom fields by their definitions, and the API's refusals at the inputs they name.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { ApiError, CustomField } from '../api.js';
import { Failure } from '../failure.js';
import { useI18n } from '../i18n/i18n.js';
import { FIELD_KEYS, STATUS_KEYS, isFieldName } from '../labels.js';
import { STATUSES } from '../list-state.js';
import type { Loaded } from '../loaded.js';
import { FORM_FIELDS, type FieldErrors, type FormState, type InputKey, fieldErrors, inputOf } from '../server-form.js';
import { CustomInput, Field } from './form-inputs.js';

/** A request that failed: what the form shows of it (the field errors go to the inputs). */
export interface Refusal {
  status: number;
  error: ApiError | null;
  /** The tags the request sent, to name the one an error's index (`tags[1]`) points at. */
  tags: string[];
}

/** The id of an input (a custom field's name is letters, digits and underscores: a safe id). */
export function inputId(key: InputKey): string {
  return key.startsWith('custom_fields.') ? `f-cf-${key.slice('custom_fields.'.length)}` : `f-${key}`;
}

/**
 * The summary of what the API refused, above the form: each reason, linked to its input. It takes the
 * focus, also when no reason names an input on the page (the API's message then, and its details).
 */
function Summary({
  refusal,
  errors,
  labelOf,
}: {
  refusal: Refusal;
  errors: FieldErrors;
  labelOf: (key: InputKey) => string;
}) {
  const { t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.focus();
  }, [refusal]);
  const entries = Object.entries(errors.byInput) as [InputKey, string[]][];
  return (
    <div class="error-summary" role="group" tabIndex={-1} ref={box} aria-labelledby="error-summary-title">
      <p id="error-summary-title" class="error">
        <strong>{t(entries.length === 0 ? 'edit.notSaved' : 'edit.errors')}</strong>
      </p>
      {entries.length === 0 ? (
        // Nothing to point at: the API's message and its details, as every page shows a failure.
        <Failure loaded={refusal} />
      ) : (
        <ul>
          {entries.map(([key, messages]) => (
            <li key={key}>
              <a
                href={`#${inputId(key)}`}
                onClick={(event) => {
                  event.preventDefault();
                  document.getElementById(inputId(key))?.focus();
                }}
              >
                {labelOf(key)}
              </a>
              {`: ${messages.join(' ')}`}
            </li>
          ))}
          {errors.other.map((detail, i) => (
            <li key={`other-${i}`}>{`${detail.field}: ${detail.message}`}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The label of an input, for the summary and the conflict's table. */
export function useInputLabel(): (key: string) => string {
  const { t } = useI18n();
  return (key) => {
    const input = inputOf(key);
    if (input?.startsWith('custom_fields.')) {
      return input.slice('custom_fields.'.length);
    }
    return isFieldName(key) ? t(FIELD_KEYS[key]) : key;
  };
}

export function ServerForm({
  form,
  setForm,
  definitions,
  refusal,
  busy,
  submitLabel,
  onSubmit,
  onCancel,
  managedBy,
  children,
}: {
  form: FormState;
  setForm: (update: (form: FormState) => FormState) => void;
  definitions: Loaded<{ custom_fields: CustomField[] }>;
  refusal: Refusal | null;
  busy: boolean;
  submitLabel: string;
  onSubmit: () => void;
  onCancel: () => void;
  managedBy: string | null;
  /** Shown above the inputs: the conflict's explanation. */
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  const labelOf = useInputLabel();
  const customShown = definitions.state === 'done' ? definitions.data.custom_fields.map((d) => d.name) : [];
  // Only the inputs on the page take errors: one for a custom field not shown goes to the summary's list.
  const shown: InputKey[] = [...FORM_FIELDS, ...customShown.map((name) => `custom_fields.${name}` as const)];
  const errors =
    refusal === null
      ? null
      : fieldErrors(refusal.error?.details, {
          shown,
          tags: refusal.tags,
          tagMessage: (tag, message) => t('edit.tagError', { tag, message }),
        });
  const errorsOf = (key: InputKey) => errors?.byInput[key];
  const text = (
    field: 'hostname' | 'ip' | 'environment' | 'role' | 'location' | 'os' | 'tags',
    hints: string[] = [],
  ) => (
    <Field id={inputId(field)} label={t(FIELD_KEYS[field])} hints={hints} errors={errorsOf(field)}>
      {(aria) => (
        <input
          {...aria}
          class={field === 'ip' ? 'mono' : undefined}
          autocomplete="off"
          spellcheck={false}
          required={field === 'hostname' || field === 'ip'}
          value={form[field]}
          onInput={(event) => {
            const value = event.currentTarget.value;
            setForm((f) => ({ ...f, [field]: value }));
          }}
        />
      )}
    </Field>
  );
  return (
    <form
      class="server-form"
      // The API checks every value and names every field at fault: the browser's own checks would
      // stop the form before it, with other words.
      noValidate
      aria-busy={busy}
      onSubmit={(event) => {
        event.preventDefault();
        if (!busy) {
          onSubmit();
        }
      }}
    >
      {children}
      {managedBy !== null && <p class="notice">{t('edit.managed', { source: managedBy })}</p>}
      {refusal !== null && errors !== null && <Summary refusal={refusal} errors={errors} labelOf={labelOf} />}
      <div class="form-grid">
        {text('hostname')}
        {text('ip')}
        <Field id={inputId('status')} label={t(FIELD_KEYS.status)} errors={errorsOf('status')}>
          {(aria) => (
            <select
              {...aria}
              value={form.status}
              onChange={(event) => {
                const value = event.currentTarget.value as FormState['status'];
                setForm((f) => ({ ...f, status: value }));
              }}
            >
              {STATUSES.map((status) => (
                <option key={status} value={status}>
                  {t(STATUS_KEYS[status])}
                </option>
              ))}
            </select>
          )}
        </Field>
        {text('environment')}
        {text('role')}
        {text('location')}
        {text('os')}
        {text('tags', [t('edit.tagsHint')])}
        <div class="wide">
          <Field id={inputId('notes')} label={t(FIELD_KEYS.notes)} errors={errorsOf('notes')}>
            {(aria) => (
              <textarea
                {...aria}
                rows={4}
                value={form.notes}
                onInput={(event) => {
                  const value = event.currentTarget.value;
                  setForm((f) => ({ ...f, notes: value }));
                }}
              />
            )}
          </Field>
        </div>
      </div>
      <fieldset class="custom-fields">
        <legend>{t(FIELD_KEYS.custom_fields)}</legend>
        {definitions.state === 'loading' && <p>{t('app.loading')}</p>}
        {definitions.state === 'failed' && <p>{t('edit.customUnavailable')}</p>}
        {definitions.state === 'done' && definitions.data.custom_fields.length === 0 && (
          <p>{t('edit.noCustomFields')}</p>
        )}
        {definitions.state === 'done' && definitions.data.custom_fields.length > 0 && (
          <div class="form-grid">
            {definitions.data.custom_fields.map((definition) => {
              const key: InputKey = `custom_fields.${definition.name}`;
              return (
                <Field
                  key={definition.name}
                  id={inputId(key)}
                  label={
                    <>
                      <span class="mono">{definition.name}</span>
                      {definition.required && ` (${t('edit.required')})`}
                    </>
                  }
                  hints={[
                    ...(definition.description === null ? [] : [definition.description]),
                    ...(definition.type === 'date' ? [t('edit.dateHint')] : []),
                    ...(definition.type === 'datetime' ? [t('edit.datetimeHint')] : []),
                  ]}
                  errors={errorsOf(key)}
                >
                  {(aria) => (
                    <CustomInput
                      definition={definition}
                      aria={aria}
                      value={form.custom[definition.name] ?? ''}
                      set={(value) => {
                        setForm((f) => ({ ...f, custom: { ...f.custom, [definition.name]: value } }));
                      }}
                    />
                  )}
                </Field>
              );
            })}
          </div>
        )}
      </fieldset>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? t('edit.saving') : submitLabel}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          {t('edit.cancel')}
        </button>
      </div>
    </form>
  );
}
