// The servers list's custom field filters and exports, and the administration page's rules, in Node.
import { describe, expect, it } from 'vitest';
import {
  canRedeliver,
  canRevoke,
  canRotate,
  isAdmin,
  POLL_FIRST_MS,
  POLL_MAX_MS,
  lastProblem,
  nextPollDelay,
  shouldPoll,
  tokenInput,
  webhookInput,
} from '../../web/src/admin.js';
import {
  activeConditions,
  customControls,
  fromLocalInput,
  splitChoices,
  toLocalInput,
  withChoices,
  withCustomValue,
  withoutValue,
} from '../../web/src/custom-filters.js';
import { failureText } from '../../web/src/failure-text.js';
import { translate } from '../../web/src/i18n/messages.js';
import {
  EMPTY_STATE,
  type ListState,
  exportFileName,
  exportQuery,
  listQuery,
  listSearch,
  parseListState,
  serializeListQuery,
} from '../../web/src/list-state.js';
import type { components } from '../../web/src/openapi.js';

type Token = components['schemas']['Token'];
type Attempt = components['schemas']['WebhookAttempt'];

const FILTERED: ListState = {
  ...EMPTY_STATE,
  status: ['up'],
  managed_by: '(none)',
  cf: { cf_rack: ['R12'], cf_u__gte: ['10'], cf_u__lte: ['20'], cf_owner__empty: ['true'] },
  sort: '-hostname',
  limit: 25,
  cursor: 'eyJpZCI6MTJ9',
};

describe('custom field filters in the URL', () => {
  it('come back whole from their own query string, in name order', () => {
    const search = listSearch(FILTERED);
    expect(search).toBe(
      '?status=up&managed_by=%28none%29&cf_owner__empty=true&cf_rack=R12&cf_u__gte=10&cf_u__lte=20' +
        '&sort=-hostname&limit=25&cursor=eyJpZCI6MTJ9',
    );
    expect(parseListState(search)).toStrictEqual(FILTERED);
  });

  it('keep repeated values, commas inside a value, and characters that need escaping', () => {
    const state = parseListState('?cf_note=a%26b&cf_rack=R1,2&cf_rack=R3');
    expect(state.cf).toStrictEqual({ cf_note: ['a&b'], cf_rack: ['R1,2', 'R3'] });
    expect(parseListState(listSearch(state)).cf).toStrictEqual(state.cf);
  });

  it('leave out what is not a condition on a custom field, and empty values', () => {
    const state = parseListState('?cf_=1&cf_Rack=1&cf_9u=1&cfx=1&cf_rack=&cf_rack__empty=%20');
    expect(state.cf).toStrictEqual({});
    expect(listSearch(state)).toBe('');
  });

  it('pass the times of last_seen_before/after on as given, a bad one too: the API judges it, the list and the export alike', () => {
    expect(parseListState('?last_seen_before=2026-11-30T10:00:00Z').last_seen_before).toBe('2026-11-30T10:00:00Z');
    for (const bad of ['2026-11-30', '2026-11-30T10:00:00', '2026-13-40T10:00:00Z', 'yesterday']) {
      const state = parseListState(`?last_seen_after=${encodeURIComponent(bad)}`);
      expect(state.last_seen_after, bad).toBe(bad);
      expect(new URLSearchParams(serializeListQuery(exportQuery(state, 'csv'))).get('last_seen_after'), bad).toBe(bad);
    }
  });
});

describe('the query sent to the API', () => {
  it('sends each condition on a custom field as a parameter of its own, arrays repeated', () => {
    const text = serializeListQuery(listQuery(FILTERED));
    const params = new URLSearchParams(text);
    expect([...params.keys()]).not.toContain('custom_field_filters');
    expect(params.getAll('cf_u__gte')).toStrictEqual(['10']);
    expect(params.getAll('cf_owner__empty')).toStrictEqual(['true']);
    expect(params.getAll('status')).toStrictEqual(['up']);
    expect(params.get('limit')).toBe('25');
    expect(params.get('cursor')).toBe('eyJpZCI6MTJ9');
    expect(serializeListQuery(listQuery(parseListState('?cf_rack=R1,2&cf_rack=R3')))).toBe(
      'limit=50&cf_rack=R1%2C2&cf_rack=R3',
    );
  });

  it('exports the same filters and sort, the whole set: a format, no page size and no cursor', () => {
    const params = new URLSearchParams(serializeListQuery(exportQuery(FILTERED, 'csv')));
    expect(params.get('format')).toBe('csv');
    expect(params.has('limit')).toBe(false);
    expect(params.has('cursor')).toBe(false);
    expect(params.get('sort')).toBe('-hostname');
    expect(params.get('managed_by')).toBe('(none)');
    expect(params.get('cf_rack')).toBe('R12');
    expect(serializeListQuery(exportQuery(EMPTY_STATE, 'ndjson'))).toBe('format=ndjson');
  });

  it('names the file after the local date and the format', () => {
    expect(exportFileName('csv', new Date(2026, 0, 5, 23, 59))).toBe('servers-2026-01-05.csv');
    expect(exportFileName('ndjson', new Date(2026, 11, 31, 0, 0))).toBe('servers-2026-12-31.ndjson');
  });
});

describe('the controls of a custom field', () => {
  const params = (type: Parameters<typeof customControls>[0]['type'], choices: string[] | null = null) =>
    customControls({ name: 'f', type, choices }).map((c) => `${c.param}:${c.input}`);

  it('offers a range for integers, numbers, dates and date-times only, and a value test for all', () => {
    expect(params('integer')).toStrictEqual(['cf_f__gte:number', 'cf_f__lte:number', 'cf_f__empty:choice']);
    expect(params('number')).toStrictEqual(['cf_f__gte:number', 'cf_f__lte:number', 'cf_f__empty:choice']);
    expect(params('date')).toStrictEqual(['cf_f__gte:date', 'cf_f__lte:date', 'cf_f__empty:choice']);
    expect(params('datetime')).toStrictEqual(['cf_f__gte:datetime', 'cf_f__lte:datetime', 'cf_f__empty:choice']);
    expect(params('string')).toStrictEqual(['cf_f:text', 'cf_f__empty:choice']);
    expect(params('url')).toStrictEqual(['cf_f:text', 'cf_f__empty:choice']);
  });

  it("offers an enum's choices and a boolean's two values", () => {
    const [enumControl] = customControls({ name: 'tier', type: 'enum', choices: ['gold', 'silver'] });
    expect(enumControl).toMatchObject({ param: 'cf_tier', input: 'choice', choices: ['gold', 'silver'] });
    const [boolControl] = customControls({ name: 'pci', type: 'boolean', choices: null });
    expect(boolControl).toMatchObject({ param: 'cf_pci', choices: ['true', 'false'] });
  });

  it('sets a value, and drops the parameter when the value is emptied', () => {
    const set = withCustomValue({ cf_a: ['1'] }, 'cf_b', '2');
    expect(set).toStrictEqual({ cf_a: ['1'], cf_b: ['2'] });
    expect(withCustomValue(set, 'cf_a', ' ')).toStrictEqual({ cf_b: ['2'] });
  });

  it("replaces only the value a control shows: a parameter's other values stay", () => {
    const cf = { cf_rack: ['R1', 'R2,B'], cf_u__gte: ['3'] };
    expect(withCustomValue(cf, 'cf_rack', 'R9')).toStrictEqual({ cf_u__gte: ['3'], cf_rack: ['R9', 'R2,B'] });
    expect(withCustomValue(cf, 'cf_rack', '')).toStrictEqual({ cf_u__gte: ['3'], cf_rack: ['R2,B'] });
    expect(withoutValue(cf, 'cf_rack', 'R2,B')).toStrictEqual({ cf_u__gte: ['3'], cf_rack: ['R1'] });
    expect(withoutValue(cf, 'cf_u__gte', '3')).toStrictEqual({ cf_rack: ['R1', 'R2,B'] });
    expect(withoutValue(cf, 'cf_u__gte', 'nope')).toStrictEqual(cf);
    expect(activeConditions(cf)).toStrictEqual([
      { param: 'cf_rack', value: 'R1' },
      { param: 'cf_rack', value: 'R2,B' },
      { param: 'cf_u__gte', value: '3' },
    ]);
  });

  it("reads an enum's or a boolean's values split on commas, as the API does, and keeps the unknown ones", () => {
    expect(splitChoices(['gold,silver', ' bronze ', ''])).toStrictEqual(['gold', 'silver', 'bronze']);
    const choices = ['gold', 'silver', 'bronze'];
    const cf = { cf_tier: ['gold,platinum'], cf_x: ['1'] };
    expect(withChoices(cf, 'cf_tier', choices, ['bronze', 'gold'])).toStrictEqual({
      cf_x: ['1'],
      cf_tier: ['platinum', 'gold', 'bronze'],
    });
    expect(withChoices({ cf_tier: ['gold'] }, 'cf_tier', choices, [])).toStrictEqual({});
  });

  it('takes in the whole minute for an upper bound: "at most 10:00" keeps 10:00:30', () => {
    const local = toLocalInput('2026-11-30T10:00:00.000Z');
    const end = fromLocalInput(local, true);
    expect(Date.parse(end) - Date.parse(fromLocalInput(local))).toBe(59_999);
    expect(Date.parse(end)).toBeGreaterThan(Date.parse('2026-11-30T10:00:30.000Z'));
    expect(toLocalInput(end)).toBe(local);
  });

  it('shows a time in local time and sends it back in UTC', () => {
    const iso = '2026-11-30T10:15:00.000Z';
    const local = toLocalInput(iso);
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(fromLocalInput(local)).toBe(iso);
    expect(toLocalInput('')).toBe('');
    expect(toLocalInput('nonsense')).toBe('');
    expect(fromLocalInput('')).toBe('');
  });
});

const token = (over: Partial<Token>): Token => ({
  name: 'deploy-bot',
  scope: 'write',
  status: 'active',
  source: 'database',
  created_at: '2026-11-01T00:00:00.000Z',
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  grace_until: null,
  ...over,
});

describe('the administration rules', () => {
  it('is for admin tokens only', () => {
    expect(isAdmin(token({ scope: 'admin' }))).toBe(true);
    expect(isAdmin(token({ scope: 'write' }))).toBe(false);
    expect(isAdmin(token({ scope: 'read' }))).toBe(false);
    expect(isAdmin(null)).toBe(false);
  });

  it('builds the token creation body, and names the field at fault', () => {
    expect(tokenInput(' ci ', 'write', '')).toStrictEqual({ ok: true, body: { name: 'ci', scope: 'write' } });
    expect(tokenInput('ci', 'read', '90')).toStrictEqual({
      ok: true,
      body: { name: 'ci', scope: 'read', expires_in_days: 90 },
    });
    expect(tokenInput('  ', 'read', '')).toStrictEqual({ ok: false, field: 'name' });
    for (const days of ['0', '10000', '1.5', '-3', 'ten']) {
      expect(tokenInput('ci', 'read', days), days).toStrictEqual({ ok: false, field: 'days' });
    }
  });

  it('offers revoke and rotate only where the API allows them', () => {
    expect([canRevoke(token({})), canRotate(token({}))]).toStrictEqual([true, true]);
    expect([canRevoke(token({ status: 'expired' })), canRotate(token({ status: 'expired' }))]).toStrictEqual([
      true,
      false,
    ]);
    expect([canRevoke(token({ status: 'revoked' })), canRotate(token({ status: 'revoked' }))]).toStrictEqual([
      false,
      false,
    ]);
    const bootstrap = token({ name: 'bootstrap', scope: 'admin', source: 'environment' });
    expect([canRevoke(bootstrap), canRotate(bootstrap)]).toStrictEqual([false, false]);
  });

  it('builds the webhook creation body: events in order, no leading ?, no empty description', () => {
    expect(webhookInput(' http://h/x ', ['server.deleted', 'server.created'], '?tag=pci', ' ')).toStrictEqual({
      url: 'http://h/x',
      events: ['server.created', 'server.deleted'],
      filter: 'tag=pci',
      description: null,
      active: true,
    });
  });

  it("says what went wrong at a delivery's last attempt", () => {
    const at = (over: Partial<Attempt>): Attempt => ({
      id: 1,
      started_at: '2026-11-30T10:00:00.000Z',
      duration_ms: 3,
      http_status: 204,
      error: null,
      response_excerpt: null,
      signature_timestamp: 1,
      ...over,
    });
    expect(lastProblem({ attempts: [] })).toBeNull();
    expect(lastProblem({ attempts: [at({ http_status: 500 }), at({})] })).toBeNull();
    expect(lastProblem({ attempts: [at({ http_status: 503 })] })).toStrictEqual({ status: 503 });
    expect(translate('fr', 'admin.httpStatus', { status: '503' })).toBe('réponse HTTP 503');
    expect(lastProblem({ attempts: [at({ http_status: null, error: 'connect ECONNREFUSED' })] })).toStrictEqual({
      error: 'connect ECONNREFUSED',
    });
    expect(canRedeliver({ status: 'failed' }, { active: true })).toBe(true);
    expect(canRedeliver({ status: 'failed' }, { active: false })).toBe(false);
    expect(canRedeliver({ status: 'succeeded' }, { active: true })).toBe(false);
  });
});

describe('reading the delivery log again', () => {
  it('waits 2 s, then twice as long each time, up to a minute', () => {
    const waits: number[] = [];
    let last: number | null = null;
    for (let i = 0; i < 8; i += 1) {
      last = nextPollDelay(last);
      waits.push(last);
    }
    expect(waits).toStrictEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect([POLL_FIRST_MS, POLL_MAX_MS]).toStrictEqual([2_000, 60_000]);
  });

  it('only while a delivery of an active subscription is pending', () => {
    const pending = [{ status: 'succeeded' as const }, { status: 'pending' as const }];
    expect(shouldPoll(pending, { active: true })).toBe(true);
    expect(shouldPoll(pending, { active: false })).toBe(false);
    expect(shouldPoll([{ status: 'failed' }, { status: 'succeeded' }], { active: true })).toBe(false);
    expect(shouldPoll([], { active: true })).toBe(false);
  });
});

describe('a request that got no answer', () => {
  it("is told in the page's language, not the browser's", () => {
    const network = { error: 'Failed to fetch', code: 'NETWORK' };
    const fr = (key: Parameters<typeof translate>[1], params?: Readonly<Record<string, string>>) =>
      translate('fr', key, params);
    expect(failureText(fr, 0, network).message).toBe(translate('fr', 'error.network'));
    expect(failureText(fr, 0, network).message).not.toContain('Failed to fetch');
  });
});
