// The server form's inputs: a labelled input with its hints and its errors, and a custom field's input by its type.
import type { ComponentChildren } from 'preact';
import type { CustomField } from '../api.js';
import { useI18n } from '../i18n/i18n.js';

/** An input's label and its hints, and its errors: the input is described by both, and marked invalid. */
export function Field({
  id,
  label,
  hints = [],
  errors = [],
  children,
}: {
  id: string;
  label: ComponentChildren;
  hints?: string[];
  errors?: string[] | undefined;
  children: (aria: { id: string; 'aria-invalid'?: 'true'; 'aria-describedby'?: string }) => ComponentChildren;
}) {
  const described = [...hints.map((_, i) => `${id}-hint-${i}`), ...(errors.length > 0 ? [`${id}-error`] : [])];
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({
        id,
        ...(errors.length > 0 ? { 'aria-invalid': 'true' as const } : {}),
        ...(described.length > 0 ? { 'aria-describedby': described.join(' ') } : {}),
      })}
      {hints.map((hint, i) => (
        <span key={i} id={`${id}-hint-${i}`} class="hint">
          {hint}
        </span>
      ))}
      {errors.length > 0 && (
        <span id={`${id}-error`} class="field-error">
          {errors.join(' ')}
        </span>
      )}
    </div>
  );
}

export function CustomInput({
  definition,
  value,
  set,
  aria,
}: {
  definition: CustomField;
  value: string;
  set: (value: string) => void;
  aria: { id: string };
}) {
  const { t } = useI18n();
  const onInput = (event: { currentTarget: HTMLInputElement | HTMLSelectElement }) => {
    set(event.currentTarget.value);
  };
  if (definition.type === 'boolean' || definition.type === 'enum') {
    const choices =
      definition.type === 'boolean'
        ? [
            ['true', t('edit.yes')],
            ['false', t('edit.no')],
          ]
        : (definition.choices ?? []).map((choice) => [choice, choice]);
    // A value no longer among the choices stays shown, so that it is not lost unseen.
    if (value !== '' && !choices.some(([choice]) => choice === value)) {
      choices.push([value, value]);
    }
    return (
      <select {...aria} value={value} onChange={onInput}>
        <option value="">{t('edit.noValue')}</option>
        {choices.map(([choice, label]) => (
          <option key={choice} value={choice}>
            {label}
          </option>
        ))}
      </select>
    );
  }
  // Text inputs, dates too: a date input holds '' while a date is half typed, which would read as no value.
  const inputMode =
    definition.type === 'integer'
      ? 'numeric'
      : definition.type === 'number'
        ? 'decimal'
        : definition.type === 'url'
          ? 'url'
          : undefined;
  return <input {...aria} type="text" inputMode={inputMode} autocomplete="off" value={value} onInput={onInput} />;
}
