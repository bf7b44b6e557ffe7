import { useEffect, useState } from 'preact/hooks';
import {
  type CustomControl,
  type CustomField,
  activeConditions,
  customControls,
  fromLocalInput,
  splitChoices,
  toLocalInput,
  withChoices,
  withCustomValue,
} from '../custom-filters.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/messages.js';
import type { ListState } from '../list-state.js';

const CONDITION_KEYS = {
  exact: 'servers.cfExact',
  gte: 'servers.cfGte',
  lte: 'servers.cfLte',
  empty: 'servers.cfEmpty',
} as const satisfies Record<CustomControl['condition'], MessageKey>;

type Cf = ListState['cf'];
type Update = (change: (cf: Cf) => Cf) => void;

function Control({
  field,
  control,
  values,
  onChange,
}: {
  field: string;
  control: CustomControl;
  /** The parameter's values in the form; a control shows its first (the others stay, and are listed). */
  values: readonly string[];
  onChange: Update;
}) {
  const { t } = useI18n();
  const value = values[0] ?? '';
  const set = (next: string) => {
    onChange((cf) => withCustomValue(cf, control.param, next));
  };
  // The field's name (the fieldset's legend) begins each control's name: "rack_unit at least".
  const label = (
    <span>
      <span class="visually-hidden">{field} </span>
      {t(CONDITION_KEYS[control.condition])}
    </span>
  );
  if (control.condition === 'empty') {
    return (
      <label class="field">
        {label}
        <select
          name={control.param}
          value={value}
          onChange={(event) => {
            set(event.currentTarget.value);
          }}
        >
          <option value="">{t('servers.cfAny')}</option>
          <option value="false">{t('servers.cfWith')}</option>
          <option value="true">{t('servers.cfWithout')}</option>
        </select>
      </label>
    );
  }
  if (control.input === 'choice') {
    // An enum or a boolean matches any of several values: each is a checkbox.
    const checked = splitChoices(values);
    return (
      <fieldset class="statuses">
        <legend>
          <span class="visually-hidden">{field} </span>
          {t(CONDITION_KEYS[control.condition])}
        </legend>
        {control.choices.map((choice) => (
          <label key={choice} class="check">
            <input
              type="checkbox"
              name={control.param}
              value={choice}
              checked={checked.includes(choice)}
              onChange={(event) => {
                const on = event.currentTarget.checked;
                onChange((cf) => {
                  const now = splitChoices(cf[control.param] ?? []);
                  const next = on ? [...now, choice] : now.filter((c) => c !== choice);
                  return withChoices(cf, control.param, control.choices, next);
                });
              }}
            />
            {choice}
          </label>
        ))}
      </fieldset>
    );
  }
  const datetime = control.input === 'datetime';
  const props = {
    name: control.param,
    value: datetime ? toLocalInput(value) : value,
    onInput: (event: { currentTarget: HTMLInputElement }) => {
      const typed = event.currentTarget.value;
      // "At most 10:00" takes in the whole minute.
      set(datetime ? fromLocalInput(typed, control.condition === 'lte') : typed);
    },
  };
  return (
    <label class="field">
      {label}
      {control.input === 'number' && <input type="number" step="any" {...props} />}
      {control.input === 'date' && <input type="date" {...props} />}
      {datetime && <input type="datetime-local" {...props} />}
      {control.input === 'text' && <input type="text" {...props} />}
    </label>
  );
}

/**
 * The conditions on custom fields the list applies (the URL's), each removable, whether the form offers
 * it or not; and the conditions on each field, in a disclosure (open when the URL has any).
 */
export function CustomFilterFields({
  fields,
  active,
  cf,
  onChange,
  onRemove,
}: {
  fields: readonly CustomField[];
  /** The URL's conditions: what the list shows now. */
  active: Cf;
  /** The form's conditions, not yet applied. */
  cf: Cf;
  onChange: Update;
  onRemove: (param: string, value: string) => void;
}) {
  const { t } = useI18n();
  const conditions = activeConditions(active);
  const urlKey = JSON.stringify(active);
  // Opened or closed by the URL only (a link, Apply, the back button), not by typing in it.
  const [open, setOpen] = useState(conditions.length > 0);
  useEffect(() => {
    setOpen(conditions.length > 0);
  }, [urlKey]);
  return (
    <>
      {conditions.length > 0 && (
        <ul class="cf-active" aria-label={t('servers.cfActive')}>
          {conditions.map(({ param, value }, i) => {
            const condition = `${param}=${value}`;
            return (
              <li key={`${String(i)}:${condition}`}>
                <span class="mono">{condition}</span>
                <button
                  type="button"
                  class="secondary"
                  aria-label={t('servers.cfRemove', { condition })}
                  onClick={() => {
                    onRemove(param, value);
                  }}
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {fields.length > 0 && (
        <details
          class="custom-filters"
          open={open}
          onToggle={(event) => {
            setOpen(event.currentTarget.open);
          }}
        >
          <summary>{t('servers.cfTitle')}</summary>
          {fields.map((field) => (
            <fieldset key={field.name} class="cf">
              <legend>{field.name}</legend>
              {customControls(field).map((control) => (
                <Control
                  key={control.param}
                  field={field.name}
                  control={control}
                  values={cf[control.param] ?? []}
                  onChange={onChange}
                />
              ))}
            </fieldset>
          ))}
        </details>
      )}
    </>
  );
}
