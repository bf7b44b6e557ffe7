// Host names: their shape (RFC 1123) and the names a server may not take.

const HOSTNAME_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

// The last label is never all digits (RFC 1123 2.1, RFC 3696 2): "10.0.0.1" or "42" would be
// read as an address by the tools that consume the inventory.
export const HOSTNAME_PATTERN = `^(?=.{1,253}$)(?:${HOSTNAME_LABEL}\\.)*(?![0-9]+$)${HOSTNAME_LABEL}$`;

/**
 * Host names a server may not take, because the inventory feeds them to Ansible as host names:
 * - `all` and `ungrouped` are Ansible's built-in groups, and `all` is also the pattern of every host;
 * - `localhost` is Ansible's implicit localhost (`C.LOCALHOST` in ansible-core; its other names,
 *   127.0.0.1 and ::1, are not host names): an inventory host of that name replaces it, so that
 *   `hosts: localhost` plays, `delegate_to: localhost` and `local_action` run against the server;
 * - the others are names the controller resolves to itself, which playbooks use to mean the
 *   controller (`delegate_to: localhost6`): an inventory host of that name would take its place.
 *   `localhost.localdomain` (systemd's nss-myhostname and Red Hat's default /etc/hosts),
 *   `localhost4`, `localhost6` and their `.localdomain4`/`.localdomain6` forms (Red Hat's default
 *   /etc/hosts), `ip6-localhost` and `ip6-loopback` (Debian's default /etc/hosts).
 * Names below `localhost.` and `localhost.localdomain.` resolve to loopback too (RFC 6761 6.3,
 * nss-myhostname), hence the `*.` entries. Group names can never clash with host names: every
 * group name holds an underscore, which RFC 1123 host names do not.
 */
export const RESERVED_HOSTNAMES = [
  'all',
  'ungrouped',
  'localhost',
  '*.localhost',
  'localhost.localdomain',
  '*.localhost.localdomain',
  'localhost4',
  'localhost4.localdomain4',
  'localhost6',
  'localhost6.localdomain6',
  'ip6-localhost',
  'ip6-loopback',
] as const;

/** `localhost` -> `[Ll][Oo]...`: JSON Schema patterns have no case-insensitive flag. */
function caseless(name: string): string {
  return name
    .replace(/[a-z]/g, (c) => `[${c.toUpperCase()}${c}]`)
    .replace(/\./g, '\\.')
    .replace('*', '.+');
}

/** Matches every reserved host name, in any case. */
export const RESERVED_HOSTNAME_PATTERN = `^(?:${RESERVED_HOSTNAMES.map(caseless).join('|')})$`;
const RESERVED_HOSTNAME = new RegExp(RESERVED_HOSTNAME_PATTERN, 'u');

/** Whether Ansible or the controller's resolver gives this host name a meaning of its own. */
export function isReservedHostname(hostname: string): boolean {
  return RESERVED_HOSTNAME.test(hostname);
}
