import type { BodyExamples } from '../../plugins/openapi/operations.js';
import type { ApplyBody, ApplyResult } from './apply.schemas.js';

// Examples of an apply for the OpenAPI document, on documentation addresses (RFC 5737, RFC 3849).

const SEEN = {
  source: 'vcenter-sync',
  servers: [
    { hostname: 'web-prod-01', ip: '10.0.0.1', environment: 'production', role: 'web' },
    { hostname: 'vm-lab-07', ip: '192.0.2.70', environment: 'lab', os: 'debian-12', tags: ['vmware'] },
  ],
  prune: false,
  dry_run: true,
} satisfies ApplyBody;

export const applyExamples = {
  plan: { summary: 'What a source sees, as a plan first (dry_run)', value: SEEN },
  prune: {
    summary: 'Make it so, deleting what the source owns and no longer sees',
    value: { ...SEEN, prune: true, dry_run: false },
  },
} satisfies BodyExamples;

export const appliedExamples = {
  plan: {
    summary: 'The plan: one server adopted, one to create',
    value: {
      dry_run: true,
      source: 'vcenter-sync',
      created: [{ hostname: 'vm-lab-07' }],
      updated: [
        {
          hostname: 'web-prod-01',
          id: 1,
          changes: {
            environment: { from: null, to: 'production' },
            role: { from: null, to: 'web' },
            managed_by: { from: null, to: 'vcenter-sync' },
          },
        },
      ],
      deleted: [],
      unchanged: 0,
      summary: { created: 1, updated: 1, deleted: 0, unchanged: 0 },
    } satisfies ApplyResult,
  },
} satisfies BodyExamples;

/** The same servers as NDJSON and as CSV (the export's columns, any subset, any order). */
export const NDJSON_EXAMPLE =
  '{"hostname":"web-prod-01","ip":"10.0.0.1","environment":"production","role":"web"}\n' +
  '{"hostname":"vm-lab-07","ip":"192.0.2.70","environment":"lab","os":"debian-12","tags":["vmware"]}\n';
export const CSV_EXAMPLE =
  'hostname,ip,environment,role,os,tags\r\n' +
  'web-prod-01,10.0.0.1,production,web,,\r\n' +
  'vm-lab-07,192.0.2.70,lab,,debian-12,vmware\r\n';
