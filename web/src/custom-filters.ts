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

type CfMap = Readonly<Record<string, readonly string[]>>;

/** `cf` with `param`'s values replaced by `list`, or `param` left out when `list` is empty. */
function withValues(cf: CfMap, param: string, list: readonly string[]): Record<string, readonly string[]> {
  const next = Object.entries(cf).filter(([name]) => name !== param);
  if (list.length > 0) {
    next.push([param, list]);
  }
  return Object.fromEntries(next);
}

/**
 * A `cf` map with the first value of `param` set to `value` (the one a control shows), or taken out when
 * `value` is empty; the parameter's other values (repeated in the URL) stay as they are.
 */
export function withCustomValue(cf: CfMap, param: string, value: string): Record<string, readonly string[]> {
  const [, ...rest] = cf[param] ?? [];
  return withValues(cf, param, value.trim() === '' ? rest : [value, ...rest]);
}

/**
 * The values of an enum's or a boolean's condition as the API reads them: each value given, split on its
 * commas (only string and url values keep their commas: docs/api.md), trimmed, without empty ones.
 */
export function splitChoices(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * A `cf` map with `param` matching any of the `checked` choices (in the choices' order); values given in
 * the URL that are not among the choices stay (the API answers a 400 naming them).
 */
export function withChoices(
  cf: CfMap,
  param: string,
  choices: readonly string[],
  checked: readonly string[],
): Record<string, readonly string[]> {
  const others = splitChoices(cf[param] ?? []).filter((v) => !choices.includes(v));
  return withValues(cf, param, [...others, ...choices.filter((c) => checked.includes(c))]);
}

/** A `cf` map without one value of `param` (without `param` when it was its only one). */
export function withoutValue(cf: CfMap, param: string, value: string): Record<string, readonly string[]> {
  const list = cf[param] ?? [];
  const at = list.indexOf(value);
  return withValues(cf, param, at < 0 ? list : [...list.slice(0, at), ...list.slice(at + 1)]);
}

/** Every condition of a `cf` map, one per value, in the map's order: what the list applies. */
export function activeConditions(cf: CfMap): { param: string; value: string }[] {
  return Object.entries(cf).flatMap(([param, list]) => list.map((value) => ({ param, value })));
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

/**
 * A `datetime-local` input's value (local time, to the minute) as the RFC 3339 time the API takes, in
 * UTC; '' if none. `end`: the minute's last millisecond, for an upper bound that includes the minute
 * ("at most 10:00" keeps 10:00:30).
 */
export function fromLocalInput(local: string, end = false): string {
  const date = new Date(local);
  if (local === '' || Number.isNaN(date.getTime())) {
    return '';
  }
  return new Date(date.getTime() + (end ? 59_999 : 0)).toISOString();
}
