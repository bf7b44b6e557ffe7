import {
  type CustomControl,
  type CustomField,
  customControls,
  fromLocalInput,
  toLocalInput,
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

function ChoiceOption({ control, value }: { control: CustomControl; value: string }) {
  const { t } = useI18n();
  if (control.condition === 'empty') {
    return <option value={value}>{t(value === 'true' ? 'servers.cfWithout' : 'servers.cfWith')}</option>;
  }
  return <option value={value}>{value}</option>;
}

function Control({
  field,
  control,
  value,
  onChange,
}: {
  field: string;
  control: CustomControl;
  value: string;
  onChange: (value: string) => void;
}) {
  const { t } = useI18n();
  // The field's name (the fieldset's legend) begins each control's name: "rack_unit at least".
  const label = (
    <span>
      <span class="visually-hidden">{field} </span>
      {t(CONDITION_KEYS[control.condition])}
    </span>
  );
  if (control.input === 'choice') {
    return (
      <label class="field">
        {label}
        <select
          name={control.param}
          value={value}
          onChange={(event) => {
            onChange(event.currentTarget.value);
          }}
        >
          <option value="">{t('servers.cfAny')}</option>
          {control.choices.map((choice) => (
            <ChoiceOption key={choice} control={control} value={choice} />
          ))}
        </select>
      </label>
    );
  }
  const datetime = control.input === 'datetime';
  const props = {
    name: control.param,
    value: datetime ? toLocalInput(value) : value,
    onInput: (event: { currentTarget: HTMLInputElement }) => {
      const typed = event.currentTarget.value;
      onChange(datetime ? fromLocalInput(typed) : typed);
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

/** The conditions on each custom field, in a disclosure (open when the list has any). */
export function CustomFilterFields({
  fields,
  cf,
  onChange,
}: {
  fields: readonly CustomField[];
  cf: ListState['cf'];
  onChange: (param: string, value: string) => void;
}) {
  const { t } = useI18n();
  if (fields.length === 0) {
    return null;
  }
  return (
    <details class="custom-filters" open={Object.keys(cf).length > 0}>
      <summary>{t('servers.cfTitle')}</summary>
      {fields.map((field) => (
        <fieldset key={field.name} class="cf">
          <legend>{field.name}</legend>
          {customControls(field).map((control) => (
            <Control
              key={control.param}
              field={field.name}
              control={control}
              value={cf[control.param]?.[0] ?? ''}
              onChange={(value) => {
                onChange(control.param, value);
              }}
            />
          ))}
        </fieldset>
      ))}
    </details>
  );
}
