// Which conditions the servers list offers on each custom field, by its type (docs/api.md, "Custom
// fields: filters, sort and summary"), and the conversions of the time inputs. No Preact and no browser
// globals: tests/web runs these in Node.
import type { components } from './openapi.js';

export type CustomField = components['schemas']['CustomField'];
export type CustomFieldType = CustomField['type'];

/**
 * One control of the filters form: `exact` (a value, `cf_<name>`), `gte`/`lte` (a bound, included) or
 * `empty` (`true`: no value, `false`: any value). `input` is the control the value is typed into.
 */
export interface CustomControl {
  param: string;
  condition: 'exact' | 'gte' | 'lte' | 'empty';
  input: 'text' | 'number' | 'date' | 'datetime' | 'choice';
  /** The values a `choice` offers (an enum's choices, `true`/`false`). */
  choices: readonly string[];
}

const RANGE_INPUT = {
  integer: 'number',
  number: 'number',
  date: 'date',
  datetime: 'datetime',
} as const satisfies Partial<Record<CustomFieldType, CustomControl['input']>>;

function hasRange(type: CustomFieldType): type is keyof typeof RANGE_INPUT {
  return Object.hasOwn(RANGE_INPUT, type);
}

/**
 * The controls of a field: a value among the choices (enum, boolean), a value typed exactly (string,
 * url), or a range (integer, number, date, datetime: the API refuses a range on the others); and, for
 * every type, whether the server has a value.
 */
export function customControls(field: Pick<CustomField, 'name' | 'type' | 'choices'>): CustomControl[] {
  const base = `cf_${field.name}`;
  const controls: CustomControl[] = [];
  if (hasRange(field.type)) {
    const input = RANGE_INPUT[field.type];
    controls.push({ param: `${base}__gte`, condition: 'gte', input, choices: [] });
    controls.push({ param: `${base}__lte`, condition: 'lte', input, choices: [] });
  } else if (field.type === 'enum' || field.type === 'boolean') {
    const choices = field.type === 'enum' ? (field.choices ?? []) : ['true', 'false'];
    controls.push({ param: base, condition: 'exact', input: 'choice', choices });
  } else {
    controls.push({ param: base, condition: 'exact', input: 'text', choices: [] });
  }
  controls.push({ param: `${base}__empty`, condition: 'empty', input: 'choice', choices: ['false', 'true'] });
  return controls;
}

/** A `cf` map with `param` set to `value`, or left out when `value` is empty. */
export function withCustomValue(
  cf: Readonly<Record<string, readonly string[]>>,
  param: string,
  value: string,
): Record<string, readonly string[]> {
  const next = Object.entries(cf).filter(([name]) => name !== param);
  if (value.trim() !== '') {
    next.push([param, [value]]);
  }
  return Object.fromEntries(next);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time as a `datetime-local` input shows it: the local date and time to the minute; '' if none. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (iso === '' || Number.isNaN(date.getTime())) {
    return '';
  }
  return (
    `${String(date.getFullYear())}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** A `datetime-local` input's value (local time) as the RFC 3339 time the API takes, in UTC; '' if none. */
export function fromLocalInput(local: string): string {
  const date = new Date(local);
  return local === '' || Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
