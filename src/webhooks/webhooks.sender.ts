import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import { signatureHeaders } from './webhooks.signing.js';
import { type GuardOptions, guardedLookup, literalAddressError } from './webhooks.ssrf.js';

// One attempt to deliver a webhook: a signed POST of the stored body, over node's http and https (undici
// stays a test dependency: the runtime image is kept small). Every attempt opens a connection of its own
// (no keep-alive agent), so that the address guard checks the addresses the host resolves to at that
// moment, every time; redirects are never followed.

/** How much of an answer is read: past this the connection is closed (the status is what counts). */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** How much of an answer the delivery log keeps. */
export const EXCERPT_BYTES = 1024;
/** The longest error text kept for an attempt. */
const MAX_ERROR_LENGTH = 500;
/** Who sends the requests, for the receiver's logs. */
export const USER_AGENT = 'inventory-api-webhooks/1.0 (+https://www.standardwebhooks.com/)';

export interface AttemptRequest {
  url: string;
  /** The `webhook-id`. */
  messageId: string;
  /** The body exactly as it is sent. */
  body: string;
  /** The `webhook-timestamp`: Unix seconds of this attempt. */
  timestamp: number;
  /** The secrets that sign: the current one, and the previous one while it still signs. */
  secrets: readonly string[];
}

export interface SenderOptions {
  guard: GuardOptions;
  /** How long the attempt may take, from before the connection to the end of the answer. */
  timeoutMs: number;
  /** Aborts the attempt (the process is shutting down): the result then has `aborted`. */
  signal?: AbortSignal;
  /** The clock an HTTP date in Retry-After is read against. */
  now?: () => Date;
}

export interface AttemptResult {
  /** A 2xx status came, and the answer ended (or reached MAX_RESPONSE_BYTES) in time. */
  ok: boolean;
  /** The answer's status; null when none came. */
  status: number | null;
  /** What went wrong: a refused address, a network error, a timeout, a redirect; null on success. */
  error: string | null;
  durationMs: number;
  /** The first EXCERPT_BYTES of the answer's body, as text; null when no answer came. */
  excerpt: string | null;
  /** The answer's Retry-After, in milliseconds from now; null without one (or an unreadable one). */
  retryAfterMs: number | null;
  /** The attempt was cut short by `signal`, not by the receiver. */
  aborted: boolean;
}

/**
 * Retry-After as milliseconds from `now`: a number of seconds, or an HTTP date (RFC 9110); a date in
 * the past is 0. Null when there is none or it is neither.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | null {
  if (value === undefined) {
    return null;
  }
  const trimmed = value.trim();
  if (/^[0-9]{1,10}$/.test(trimmed)) {
    return Number(trimmed) * 1000;
  }
  // An HTTP date always names its day and its zone (GMT): a bare number or a vague text is not one.
  if (!/^[A-Za-z]{3},? .*(GMT|UTC)$/.test(trimmed)) {
    return null;
  }
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/** The text of a piece of an answer, as a database text column can hold it (PostgreSQL refuses NUL). */
function excerptOf(bytes: Buffer): string {
  return bytes.toString('utf8').replaceAll('\u0000', '\uFFFD');
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 1)}…` : message;
}

/**
 * Makes one attempt: POSTs `request.body`, signed, to `request.url`, and reports how it went. Never
 * throws: every failure is in the result. A 3xx is a failure (redirects are not followed), and so is an
 * answer that does not end within the timeout, even after a 2xx status: at least once, never a success
 * without a whole answer.
 */
export function sendAttempt(request: AttemptRequest, options: SenderOptions): Promise<AttemptResult> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    // Set once the request is under way: finish() may come before (a refused address) or after.
    const under: { req?: http.ClientRequest; timer?: NodeJS.Timeout } = {};
    let status: number | null = null;
    let retryAfterMs: number | null = null;
    const kept: Buffer[] = [];
    let keptBytes = 0;

    const onAbort = () => {
      finish(false, 'aborted: the process is shutting down', true);
    };

    function finish(ok: boolean, error: string | null, aborted = false): void {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(under.timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Nothing more is read or sent: the connection (one of its own) goes.
      under.req?.destroy();
      resolve({
        ok,
        status,
        error,
        durationMs: Math.round(performance.now() - started),
        excerpt: status === null ? null : excerptOf(Buffer.concat(kept)),
        retryAfterMs,
        aborted,
      });
    }

    /** The answer ended, or enough of it was read. */
    function answered(): void {
      if (status !== null && status >= 200 && status < 300) {
        finish(true, null);
      } else if (status !== null && status >= 300 && status < 400) {
        finish(false, `the receiver answered ${status}, a redirect: redirects are not followed`);
      } else {
        finish(false, null);
      }
    }

    if (options.signal?.aborted === true) {
      onAbort();
      return;
    }
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      finish(false, 'the URL is not valid');
      return;
    }
    const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (client === undefined) {
      finish(false, `the URL's scheme ${url.protocol} is not http or https`);
      return;
    }
    // The lookup below checks the addresses of a host name; an IP literal is never looked up.
    const refused = literalAddressError(url.hostname, options.guard);
    if (refused !== null) {
      finish(false, refused.message);
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    under.timer = setTimeout(() => {
      finish(
        false,
        status === null
          ? `timed out after ${options.timeoutMs} ms without an answer`
          : `timed out after ${options.timeoutMs} ms reading the answer`,
      );
    }, options.timeoutMs);

    const body = Buffer.from(request.body, 'utf8');
    const req = client.request(url, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(options.guard),
      headers: {
        ...signatureHeaders({
          messageId: request.messageId,
          timestamp: request.timestamp,
          body: request.body,
          secrets: request.secrets,
        }),
        'content-length': String(body.length),
        'user-agent': USER_AGENT,
      },
    });
    under.req = req;
    req.on('error', (error) => {
      finish(false, describe(error));
    });
    req.on('response', (res) => {
      status = res.statusCode ?? null;
      if (status === 429 || status === 503) {
        retryAfterMs = parseRetryAfter(res.headers['retry-after'], now());
      }
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        if (keptBytes < EXCERPT_BYTES) {
          const piece = chunk.subarray(0, EXCERPT_BYTES - keptBytes);
          kept.push(piece);
          keptBytes += piece.length;
        }
        read += chunk.length;
        if (read >= MAX_RESPONSE_BYTES) {
          answered();
        }
      });
      res.on('end', answered);
      res.on('error', (error) => {
        finish(false, describe(error));
      });
      res.on('close', () => {
        if (!res.complete) {
          finish(false, 'the connection closed before the answer ended');
        }
      });
    });
    req.end(body);
  });
}
