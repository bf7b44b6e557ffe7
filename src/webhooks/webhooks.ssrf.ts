import { type LookupAddress, type LookupOptions, promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import * as ipaddrModule from 'ipaddr.js';

// CommonJS: Node hands its `module.exports` to ES modules as the default export only.
const ipaddr = (ipaddrModule as unknown as { default: typeof ipaddrModule }).default;
type IPv4 = ipaddrModule.IPv4;
type IPv6 = ipaddrModule.IPv6;

// The guard that keeps webhooks from reaching what the server can reach but their authors should not:
// the server itself, the private network around it, a cloud's metadata service. Only public unicast
// addresses are allowed; a host name is allowed if every address it resolves to is. It runs twice: when
// a URL is given (checkUrl), and when a connection is opened (guardedLookup and guardConnector), on the
// addresses the connection then uses, so that a name that resolves to a public address when it is
// checked and to a private one later (DNS rebinding) gains nothing.

/** Resolves a host name to all its addresses (dns.lookup with all: true). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface GuardOptions {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: every address is allowed. */
  allowPrivateNetworks: boolean;
  /** The resolver; the system's (dns.lookup, as connections use it) by default. */
  resolve?: Resolver;
}

/** How long checkUrl waits for a host name to resolve. */
export const RESOLVE_TIMEOUT_MS = 5000;

const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** Why an address is refused: its range, and what that range is, in words. */
export interface ForbiddenRange {
  range: string;
  description: string;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address (0.0.0.0/8, ::)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (169.254.0.0/16, fe80::/10; cloud metadata services live there)',
  loopback: 'a loopback address (127.0.0.0/8, ::1)',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
  uniqueLocal: 'a unique local address (fc00::/7)',
  reserved: 'a reserved or documentation address',
  ipv4Compatible: 'a reserved IPv6 address (::/8, IPv4-compatible ones among them)',
  nat64Local: 'a local-use NAT64 address (64:ff9b:1::/48)',
};

function forbidden(range: string): ForbiddenRange {
  return { range, description: DESCRIPTIONS[range] ?? `a special-purpose address (${range})` };
}

function ipv4Range(address: IPv4): ForbiddenRange | null {
  const range = address.range();
  return range === 'unicast' ? null : forbidden(range);
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function lastIpv4(address: IPv6): IPv4 {
  const [high = 0, low = 0] = address.parts.slice(6);
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** An IPv6 address that carries an IPv4 address is judged by that address. */
function embedded(address: IPv4, form: string): ForbiddenRange | null {
  const inner = ipv4Range(address);
  return inner === null
    ? null
    : { range: inner.range, description: `${form} of ${address.toString()}, ${inner.description}` };
}

const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

function ipv6Range(address: IPv6): ForbiddenRange | null {
  const range = address.range();
  if (range === 'ipv4Mapped') {
    return embedded(address.toIPv4Address(), 'an IPv4-mapped form');
  }
  if (range === 'rfc6052') {
    // The well-known NAT64 prefix reaches the IPv4 address it carries; the local-use one, a local network.
    return address.match(NAT64_WELL_KNOWN) ? embedded(lastIpv4(address), 'a NAT64 form') : forbidden('nat64Local');
  }
  if (range === '6to4') {
    const [, high = 0, low = 0] = address.parts;
    return embedded(new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]), 'a 6to4 form');
  }
  if (range !== 'unicast') {
    return forbidden(range);
  }
  // ::/8 holds no public address, but IPv4-compatible forms (::7f00:1) that ipaddr.js calls unicast.
  return (address.parts[0] ?? 0) < 0x100 ? forbidden('ipv4Compatible') : null;
}

/**
 * Why a webhook may not reach an address (an IPv4 or IPv6 address in standard notation), or null if it
 * may: only public unicast addresses are allowed.
 */
export function forbiddenAddress(address: string): ForbiddenRange | null {
  const family = isIP(address);
  if (family === 0) {
    throw new Error('forbiddenAddress takes an IP address');
  }
  return family === 4 ? ipv4Range(ipaddr.IPv4.parse(address)) : ipv6Range(ipaddr.IPv6.parse(address));
}

/** A URL's host without the brackets of an IPv6 literal. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** A connection to a forbidden address was refused. */
export class ForbiddenAddressError extends Error {
  override readonly name = 'ForbiddenAddressError';
  readonly code = 'ERR_WEBHOOK_ADDRESS_FORBIDDEN';
  readonly address: string;

  constructor(hostname: string, address: string, range: ForbiddenRange) {
    const what = hostname === address ? address : `${hostname} resolves to ${address}`;
    super(`${what}, ${range.description}: webhooks reach public addresses only`);
    this.address = address;
  }
}

export type UrlVerdict =
  | { ok: true }
  | { ok: false; problem: 'forbidden'; message: string }
  | { ok: false; problem: 'unresolved'; message: string };

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' }));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * Whether a webhook may be sent to `url`, checked when the URL is given: its host, an IP literal or
 * every address its name resolves to, must be public. A name that does not resolve is refused too, as
 * nothing can be said of it. With allowPrivateNetworks, nothing is checked and nothing resolved.
 */
export async function checkUrl(url: URL, options: GuardOptions): Promise<UrlVerdict> {
  if (options.allowPrivateNetworks) {
    return { ok: true };
  }
  const host = bareHost(url.hostname);
  if (isIP(host) !== 0) {
    const range = forbiddenAddress(host);
    return range === null
      ? { ok: true }
      : { ok: false, problem: 'forbidden', message: `${host} is ${range.description}` };
  }
  let addresses: LookupAddress[];
  try {
    addresses = await withTimeout((options.resolve ?? systemResolver)(host), RESOLVE_TIMEOUT_MS);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      problem: 'unresolved',
      message: `host ${host} does not resolve (${typeof code === 'string' ? code : 'no answer'}): its addresses must be known to be public`,
    };
  }
  if (addresses.length === 0) {
    return { ok: false, problem: 'unresolved', message: `host ${host} resolves to no address` };
  }
  for (const { address } of addresses) {
    const range = forbiddenAddress(address);
    if (range !== null) {
      return { ok: false, problem: 'forbidden', message: `host ${host} resolves to ${address}, ${range.description}` };
    }
  }
  return { ok: true };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the connections of webhook deliveries (node's net, http and tls `lookup` option, and
 * undici's `connect: { lookup }`): resolves as dns.lookup does, and fails the connection with a
 * ForbiddenAddressError when any address is not public, so that the connection uses only addresses
 * checked at that moment. Connections to an IP literal never call it: see guardConnector.
 */
export function guardedLookup(options: GuardOptions) {
  const resolve = options.resolve ?? systemResolver;
  return (hostname: string, lookupOptions: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (resolved) => {
        const { family } = lookupOptions;
        const wanted = family === 4 || family === 6 ? resolved.filter((a) => a.family === family) : resolved;
        const first = wanted[0];
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = 'ENOTFOUND';
          callback(error, '');
          return;
        }
        if (!options.allowPrivateNetworks) {
          for (const { address } of wanted) {
            const range = forbiddenAddress(address);
            if (range !== null) {
              callback(new ForbiddenAddressError(hostname, address, range), '');
              return;
            }
          }
        }
        if (lookupOptions.all === true) {
          callback(null, wanted);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => {
        callback(error as NodeJS.ErrnoException, '');
      },
    );
  };
}

/**
 * A ForbiddenAddressError if `hostname` (a URL's host, brackets and all) is an IP literal that is not
 * public, else null. A host name is for guardedLookup to check, when it is resolved.
 */
export function literalAddressError(hostname: string, options: GuardOptions): ForbiddenAddressError | null {
  const host = bareHost(hostname);
  if (options.allowPrivateNetworks || isIP(host) === 0) {
    return null;
  }
  const range = forbiddenAddress(host);
  return range === null ? null : new ForbiddenAddressError(host, host, range);
}

type ConnectCallback<S> = (...args: [null, S] | [Error, null]) => void;

/**
 * Wraps a connector of undici's shape (`buildConnector({ lookup: guardedLookup(...) })`, for
 * `new Agent({ connect })`) so that an IP literal is checked too, since no lookup runs for one.
 */
export function guardConnector<O extends { hostname: string }, S>(
  connect: (connectOptions: O, callback: ConnectCallback<S>) => void,
  options: GuardOptions,
): (connectOptions: O, callback: ConnectCallback<S>) => void {
  return (connectOptions, callback) => {
    const refused = literalAddressError(connectOptions.hostname, options);
    if (refused !== null) {
      callback(refused, null);
      return;
    }
    connect(connectOptions, callback);
  };
}
