// The server form's logic: a server as the form's inputs hold it, the merge patch of what changed, the
// body of a create, the API's field errors mapped to the inputs, and what changed between two versions
// of a server. No Preact, no browser globals: tests/web/server-form.test.ts runs it in Node.
import type { components } from './openapi.js';

type Server = components['schemas']['Server'];
type CustomField = components['schemas']['CustomField'];
type Token = components['schemas']['Token'];
type ErrorDetail = components['schemas']['ErrorDetail'];
export type Status = Server['status'];

/** A value of a custom field as the API takes it. */
export type CustomValue = string | number | boolean;

/** A custom field's definition, as far as the form needs it: the name and the type the value is sent as. */
export type Definition = Pick<CustomField, 'name' | 'type'>;

/** The fields of a server that the form edits, in the form's order; `managed_by` is left to the API. */
export const FORM_FIELDS = [
  'hostname',
  'ip',
  'status',
  'environment',
  'role',
  'location',
  'os',
  'tags',
  'notes',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** A server as the form's inputs hold it: text, '' for no value, tags separated by commas. */
export type FormState = Record<Exclude<FormField, 'status'>, string> & {
  status: Status;
  /** Custom field values by name, '' for no value ('true' and 'false' for a boolean). */
  custom: Record<string, string>;
};

/** The key of an input: a fixed field's name, or `custom_fields.<name>` (as the API names it in errors). */
export type InputKey = FormField | `custom_fields.${string}`;

/** A body for PATCH (merge patch) or POST: the fixed fields' values and the custom fields' values. */
export interface ServerBody {
  hostname?: string;
  ip?: string;
  status?: Status;
  environment?: string | null;
  role?: string | null;
  location?: string | null;
  os?: string | null;
  tags?: string[];
  notes?: string | null;
  custom_fields?: Record<string, CustomValue | null>;
}

/** Whether a token may write servers: the API refuses every write without a write or admin token. */
export function canWrite(self: Pick<Token, 'scope'> | null): boolean {
  return self !== null && (self.scope === 'write' || self.scope === 'admin');
}

function customText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The form of a new server: every field empty, status up (the API's default). */
export function emptyForm(): FormState {
  return {
    hostname: '',
    ip: '',
    status: 'up',
    environment: '',
    role: '',
    location: '',
    os: '',
    tags: '',
    notes: '',
    custom: {},
  };
}

/** The form showing `server` as it is. */
export function formFromServer(server: Server): FormState {
  const custom: Record<string, string> = {};
  for (const [name, value] of Object.entries(server.custom_fields)) {
    custom[name] = customText(value);
  }
  return {
    hostname: server.hostname,
    ip: server.ip,
    status: server.status,
    environment: server.environment ?? '',
    role: server.role ?? '',
    location: server.location ?? '',
    os: server.os ?? '',
    tags: server.tags.join(', '),
    notes: server.notes ?? '',
    custom,
  };
}

/** Tags as typed: separated by commas (a tag may hold a space, which the API then names), trimmed, without empty ones. */
export function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

type FixedValue = string | string[] | null;

/** What a fixed field's input means to the API: labels and names trimmed, '' is no value (null). */
function fixedValue(form: FormState, field: FormField): FixedValue {
  switch (field) {
    case 'hostname':
    case 'ip':
      return form[field].trim();
    case 'status':
      return form.status;
    case 'tags':
      return parseTags(form.tags);
    case 'notes':
      // Notes keep their spaces and lines as typed.
      return form.notes === '' ? null : form.notes;
    case 'environment':
    case 'role':
    case 'location':
    case 'os': {
      const value = form[field].trim();
      return value === '' ? null : value;
    }
  }
}

/**
 * What a custom field's input means to the API, by the field's type: '' is no value (null), numbers
 * as numbers, 'true' and 'false' as booleans. Text that is not a number is sent as it is: the API
 * then names the field in its 400, at the input.
 */
export function customValue(type: Definition['type'] | undefined, text: string): CustomValue | null {
  if (text.trim() === '') {
    return null;
  }
  switch (type) {
    case 'integer':
    case 'number': {
      const trimmed = text.trim();
      return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
    }
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'date':
    case 'datetime':
    case 'url':
    case 'enum':
      return text.trim();
    case 'string':
    case undefined:
      return text;
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function types(definitions: readonly Definition[]): Map<string, Definition['type']> {
  return new Map(definitions.map((d) => [d.name, d.type]));
}

/** The inputs whose meaning differs between `base` and `form` (text that means the same, such as `a,b` and `a, b`, is no change). */
export function editedInputs(base: FormState, form: FormState, definitions: readonly Definition[]): InputKey[] {
  const typeOf = types(definitions);
  const edited: InputKey[] = FORM_FIELDS.filter((field) => !same(fixedValue(base, field), fixedValue(form, field)));
  const names = [...new Set([...Object.keys(base.custom), ...Object.keys(form.custom)])].sort();
  for (const name of names) {
    const type = typeOf.get(name);
    if (!same(customValue(type, base.custom[name] ?? ''), customValue(type, form.custom[name] ?? ''))) {
      edited.push(`custom_fields.${name}`);
    }
  }
  return edited;
}

/** The JSON merge patch (RFC 7396) from `base` to `form`: only what changed; null clears a field or removes a custom value. */
export function buildPatch(base: FormState, form: FormState, definitions: readonly Definition[]): ServerBody {
  const typeOf = types(definitions);
  const patch: Record<string, unknown> = {};
  const custom: Record<string, CustomValue | null> = {};
  for (const key of editedInputs(base, form, definitions)) {
    if (key.startsWith('custom_fields.')) {
      const name = key.slice('custom_fields.'.length);
      custom[name] = customValue(typeOf.get(name), form.custom[name] ?? '');
    } else {
      patch[key] = fixedValue(form, key as FormField);
    }
  }
  if (Object.keys(custom).length > 0) {
    patch.custom_fields = custom;
  }
  return patch;
}

/** The body of POST /api/v1/servers: the fields given; those left empty take the API's defaults (custom fields' too). */
export function buildCreate(form: FormState, definitions: readonly Definition[]): ServerBody {
  const body: Record<string, unknown> = {};
  for (const field of FORM_FIELDS) {
    const value = fixedValue(form, field);
    if (value !== null && !(Array.isArray(value) && value.length === 0)) {
      body[field] = value;
    }
  }
  const typeOf = types(definitions);
  const custom: Record<string, CustomValue> = {};
  for (const [name, text] of Object.entries(form.custom)) {
    const value = customValue(typeOf.get(name), text);
    if (value !== null) {
      custom[name] = value;
    }
  }
  if (Object.keys(custom).length > 0) {
    body.custom_fields = custom;
  }
  return body;
}

/**
 * The form after someone else changed the server: the current version, with the inputs this person
 * edited (from `original`, the version they opened) kept as they typed them.
 */
export function rebase(
  original: FormState,
  mine: FormState,
  current: FormState,
  definitions: readonly Definition[],
): FormState {
  const next: FormState = { ...current, custom: { ...current.custom } };
  for (const key of editedInputs(original, mine, definitions)) {
    if (key.startsWith('custom_fields.')) {
      const name = key.slice('custom_fields.'.length);
      next.custom[name] = mine.custom[name] ?? '';
    } else if (key === 'status') {
      next.status = mine.status;
    } else {
      const field = key as Exclude<FormField, 'status'>;
      next[field] = mine[field];
    }
  }
  return next;
}

/** The API's field errors by input, and those that name no input (shown in the summary only). */
export interface FieldErrors {
  byInput: Partial<Record<InputKey, string[]>>;
  other: ErrorDetail[];
}

/**
 * The input an error's `field` names: `ip`, `tags[3]` (an item of the tags), `custom_fields.rack`;
 * null for anything else (a header, the body as a whole).
 */
export function inputOf(field: string): InputKey | null {
  const custom = /^custom_fields\.([a-z][a-z0-9_]*)/.exec(field);
  if (custom?.[1] !== undefined) {
    return `custom_fields.${custom[1]}`;
  }
  const fixed = /^([a-z_]+)(?:\[\d+\])?$/.exec(field)?.[1];
  return (FORM_FIELDS as readonly string[]).includes(fixed ?? '') ? (fixed as FormField) : null;
}

/** How the errors are placed: the inputs on the page, and the tags as sent (to name the tag an error's index points at). */
export interface ErrorPlacement {
  /** The inputs the form shows; an error for any other goes to `other`. Every input when absent. */
  shown?: readonly InputKey[] | undefined;
  /** The tags the request sent, in its order: `tags[1]` is the second. */
  tags?: readonly string[];
  /** A tag's error as shown, the tag's text beside the API's message. */
  tagMessage?: (tag: string, message: string) => string;
}

/** Sorts the API's `details` (of a 400 or a 409) by the input each names; a detail for an input not shown stays in `other`. */
export function fieldErrors(details: readonly ErrorDetail[] | undefined, placement: ErrorPlacement = {}): FieldErrors {
  const { shown, tags = [], tagMessage = (tag, message) => `"${tag}": ${message}` } = placement;
  const byInput: Partial<Record<InputKey, string[]>> = {};
  const other: ErrorDetail[] = [];
  for (const detail of details ?? []) {
    const key = inputOf(detail.field);
    if (key === null || (shown !== undefined && !shown.includes(key))) {
      other.push(detail);
      continue;
    }
    const index = key === 'tags' ? /^tags\[(\d+)\]$/.exec(detail.field)?.[1] : undefined;
    const tag = index === undefined ? undefined : tags[Number(index)];
    (byInput[key] ??= []).push(tag === undefined ? detail.message : tagMessage(tag, detail.message));
  }
  return { byInput, other };
}

/** A field whose value differs between two versions of a server. */
export interface FieldChange {
  /** The field's name, `custom_fields.<name>` for a custom field (as the history names them). */
  field: string;
  from: unknown;
  to: unknown;
}

const COMPARED = [...FORM_FIELDS, 'managed_by'] as const;

/** What changed from `before` to `after`, field by field: the fixed fields in the form's order, then the custom fields by name. */
export function diffServers(before: Server, after: Server): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of COMPARED) {
    if (!same(before[field], after[field])) {
      changes.push({ field, from: before[field], to: after[field] });
    }
  }
  const was = before.custom_fields as Record<string, unknown>;
  const is = after.custom_fields as Record<string, unknown>;
  for (const name of [...new Set([...Object.keys(was), ...Object.keys(is)])].sort()) {
    const from = was[name] ?? null;
    const to = is[name] ?? null;
    if (!same(from, to)) {
      changes.push({ field: `custom_fields.${name}`, from, to });
    }
  }
  return changes;
}
