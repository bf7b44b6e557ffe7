import type { BodyExamples } from '../plugins/openapi/operations.js';
import type { Server } from '../servers/servers.schemas.js';
import type { Change, ChangeList } from './changes.schemas.js';

// Examples of the change feed's answers, published in the OpenAPI document: one server's life, created,
// put in maintenance and deleted, each change with the server as it was after it (before, for the delete).

const CREATED_AT = '2026-03-02T09:30:00.000Z';
const UPDATED_AT = '2026-03-02T14:05:00.000Z';
const DELETED_AT = '2026-03-09T08:00:00.000Z';

const CREATED: Server = {
  id: 3,
  hostname: 'web-prod-02',
  ip: '192.0.2.3',
  status: 'up',
  environment: 'production',
  role: 'web',
  location: 'eu-west-1a',
  os: null,
  tags: ['frontend'],
  notes: null,
  managed_by: null,
  custom_fields: { rack: 'R12' },
  created_at: CREATED_AT,
  updated_at: CREATED_AT,
};

const IN_MAINTENANCE: Server = {
  ...CREATED,
  status: 'maintenance',
  notes: 'Kernel upgrade until 18:00 UTC',
  updated_at: UPDATED_AT,
};

const LIFE: Change[] = [
  {
    seq: 41,
    server_id: 3,
    action: 'create',
    at: CREATED_AT,
    actor: 'deploy-bot',
    changes: {
      hostname: { from: null, to: 'web-prod-02' },
      ip: { from: null, to: '192.0.2.3' },
      status: { from: null, to: 'up' },
      environment: { from: null, to: 'production' },
      role: { from: null, to: 'web' },
      location: { from: null, to: 'eu-west-1a' },
      tags: { from: null, to: ['frontend'] },
      'custom_fields.rack': { from: null, to: 'R12' },
    },
    server: CREATED,
  },
  {
    seq: 42,
    server_id: 3,
    action: 'update',
    at: UPDATED_AT,
    actor: 'ops-alice',
    changes: {
      status: { from: 'up', to: 'maintenance' },
      notes: { from: null, to: 'Kernel upgrade until 18:00 UTC' },
    },
    server: IN_MAINTENANCE,
  },
  {
    seq: 57,
    server_id: 3,
    action: 'delete',
    at: DELETED_AT,
    actor: 'ops-alice',
    changes: {
      hostname: { from: 'web-prod-02', to: null },
      ip: { from: '192.0.2.3', to: null },
      status: { from: 'maintenance', to: null },
      environment: { from: 'production', to: null },
      role: { from: 'web', to: null },
      location: { from: 'eu-west-1a', to: null },
      tags: { from: ['frontend'], to: null },
      notes: { from: 'Kernel upgrade until 18:00 UTC', to: null },
      'custom_fields.rack': { from: 'R12', to: null },
    },
    server: IN_MAINTENANCE,
  },
];

/** A change recorded before the inventory kept the server's state with each change. */
const OLD_CHANGE: Change = {
  seq: 7,
  server_id: 1,
  action: 'update',
  at: '2026-01-15T10:00:00.000Z',
  actor: 'ops-alice',
  changes: { location: { from: null, to: 'eu-west-1b' } },
  server: null,
};

export const changeListExamples = {
  feed: {
    summary: 'A page of the feed: a server created, changed and deleted',
    value: { changes: LIFE } satisfies ChangeList,
  },
  old: {
    summary: 'A change recorded before the feed kept the server: server is null',
    value: { changes: [OLD_CHANGE] } satisfies ChangeList,
  },
} satisfies BodyExamples;

export const historyExamples = {
  history: {
    summary: "A deleted server's history, oldest first",
    value: { changes: LIFE } satisfies ChangeList,
  },
} satisfies BodyExamples;
