import { isIPv4 } from 'node:net';
import { canonicalIp } from './ip-address.js';

const FAMILY_V4 = 4;
const FAMILY_V6 = 6;

function v6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

function addressBytes(canonical: string): Buffer {
  if (isIPv4(canonical)) {
    return Buffer.from(canonical.split('.').map(Number));
  }
  const bytes = Buffer.alloc(16);
  v6Groups(canonical).forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

/**
 * The address as a byte string that sorts like the address: a family byte (4 before 6) and the
 * address in network order. Databases compare such keys bytewise (SQLite BLOB, PostgreSQL bytea),
 * so an index on it serves numeric IP order and CIDR ranges.
 */
export function ipKey(canonical: string): Buffer {
  const family = isIPv4(canonical) ? FAMILY_V4 : FAMILY_V6;
  return Buffer.concat([Buffer.from([family]), addressBytes(canonical)]);
}

/** The first and last key of a CIDR block such as 10.0.0.0/8 or fd00::/8, or null if it is not one. */
export function cidrKeyRange(cidr: string): { from: Buffer; to: Buffer } | null {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (match?.[1] === undefined || match[2] === undefined) {
    return null;
  }
  const address = canonicalIp(match[1]);
  const prefix = Number(match[2]);
  if (address === null || match[2] !== String(prefix)) {
    return null;
  }
  const bytes = addressBytes(address);
  if (prefix > bytes.length * 8) {
    return null;
  }
  const from = Buffer.from(bytes);
  const to = Buffer.from(bytes);
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    const index = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    from[index] = (from[index] ?? 0) & ~mask;
    to[index] = (to[index] ?? 0) | mask;
  }
  const family = Buffer.from([isIPv4(address) ? FAMILY_V4 : FAMILY_V6]);
  return { from: Buffer.concat([family, from]), to: Buffer.concat([family, to]) };
}
