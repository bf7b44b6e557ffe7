import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d), once canonical. */
const IPV4_MAPPED = /^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/;

/**
 * The canonical form of an IP address, or null when it is not one we store. IPv4 is dotted decimal
 * without leading zeros (`010.0.0.1` is refused: some tools read it as octal). IPv6 is written as
 * RFC 5952 says: lowercase, no leading zeros, the longest run of zero groups compressed (WHATWG's
 * URL serialiser implements exactly that). Zone ids and IPv4-mapped IPv6 addresses are refused:
 * the first only mean something on one host, the second are IPv4 addresses in disguise.
 */
export function canonicalIp(input: string): string | null {
  if (isIPv4(input)) {
    return input;
  }
  if (!isIPv6(input) || input.includes('%')) {
    return null;
  }
  const canonical = new URL(`http://[${input}]/`).hostname.slice(1, -1);
  return IPV4_MAPPED.test(canonical) ? null : canonical;
}
