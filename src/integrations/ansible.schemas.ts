import Type, { type Static } from 'typebox';
import { MAX_SERVER_ID } from '../servers/servers.schemas.js';
import { Nullable } from '../shared/schemas.js';

/**
 * A string from the inventory, in the form Ansible's JSON loader reads as an unsafe string
 * (`ansible.parsing.ajson.AnsibleJSONDecoder`): Ansible never templates it, so that `{{ ... }}` in a
 * server's notes prints as written instead of running on the controller.
 */
export const UnsafeString = Type.Object(
  { __ansible_unsafe: Type.String() },
  { additionalProperties: false, description: 'A string Ansible loads as unsafe: never templated' },
);
export type UnsafeString = Static<typeof UnsafeString>;

export const AnsibleHostVars = Type.Object(
  {
    ansible_host: UnsafeString,
    server_id: Type.Integer({ minimum: 1, maximum: MAX_SERVER_ID }),
    server_ip: UnsafeString,
    server_status: UnsafeString,
    server_environment: Nullable(UnsafeString),
    server_role: Nullable(UnsafeString),
    server_location: Nullable(UnsafeString),
    server_os: Nullable(UnsafeString),
    server_tags: Type.Array(UnsafeString),
    server_notes: Nullable(UnsafeString),
  },
  { additionalProperties: false, description: "A host's variables; every string is an unsafe string" },
);
export type AnsibleHostVars = Static<typeof AnsibleHostVars>;

export const AnsibleGroup = Type.Object({ hosts: Type.Array(Type.String()) }, { additionalProperties: false });

export const AnsibleInventory = Type.Object(
  {
    _meta: Type.Object(
      { hostvars: Type.Record(Type.String(), AnsibleHostVars, { description: 'By host name' }) },
      { additionalProperties: false },
    ),
    all: Type.Object(
      { children: Type.Array(Type.String(), { description: 'ungrouped, then every group by name' }) },
      { additionalProperties: false },
    ),
    ungrouped: AnsibleGroup,
  },
  {
    additionalProperties: AnsibleGroup,
    description: 'The inventory in `ansible-inventory --list` form: the groups sit beside _meta, all and ungrouped',
  },
);
/** Static<> leaves out the schema of additionalProperties: the groups beside the fixed keys. */
export type AnsibleInventory = Static<typeof AnsibleInventory> & Record<string, unknown>;
