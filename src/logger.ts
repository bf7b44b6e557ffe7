import { type DestinationStream, type Logger, pino } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { Config, LogFormat } from './config.js';

/** Whether a process with this setting writes readable lines rather than JSON. */
export function isPretty(format: LogFormat, stdoutIsTerminal: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTerminal);
}

/**
 * The process's one logger: JSON lines, one per event, for log collectors; readable lines for a
 * person at a terminal (LOG_FORMAT). Credentials are censored wherever a request's headers are
 * logged, in either form. `stream` (tests) always gets JSON.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, stream?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  };
  if (stream !== undefined) {
    return pino(options, stream);
  }
  // Undefined, not false, when standard output is not a terminal, whatever its declared type says.
  const terminal = (process.stdout.isTTY as boolean | undefined) ?? false;
  if (isPretty(config.logFormat, terminal)) {
    // In this thread, not as a pino transport: a transport loads its module in a worker by file
    // name, which the bundled build (one file, no node_modules) cannot give it.
    return pino(
      options,
      PinoPretty({
        colorize: terminal,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        sync: true,
      }),
    );
  }
  return pino(options, batchedStdout());
}

/** How long a line may wait in the buffer for others to join it. */
export const LOG_FLUSH_INTERVAL_MS = 250;
/** The most the queue of lines may hold while standard output is not read: past it, lines are dropped. */
export const LOG_QUEUE_MAX_BYTES = 16 * 1024 * 1024;

/** The process's standard output destination, once createLogger has made it. */
let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * Standard output through pino's own asynchronous destination (sonic-boom): a line is queued and
 * written when the output can take it, so a slow reader (a pipe, a log collector) never holds a
 * request. Lines are written 4 KiB at a time, or every LOG_FLUSH_INTERVAL_MS when fewer come: one
 * write for a dozen request lines instead of one each, which was a twentieth of the CPU of a GET by id
 * under load. A reader stalled for long costs at most LOG_QUEUE_MAX_BYTES of memory: past it, lines
 * are dropped rather than the process running out of memory. A stop waits for the queue (flushLogs);
 * at any other exit pino writes out what it can synchronously.
 */
function batchedStdout(): DestinationStream {
  stdout = pino.destination({
    dest: 1,
    sync: false,
    minLength: 4096,
    maxLength: LOG_QUEUE_MAX_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
  });
  return stdout;
}

/**
 * Waits until the queued log lines are written (at most `timeoutMs`): called before the process
 * exits on its own, so that a slow reader of standard output still gets the last lines, the shutdown's
 * included. Resolves at once when the logger writes elsewhere (a terminal, a test stream).
 */
export async function flushLogs(timeoutMs = 5000): Promise<void> {
  const destination = stdout;
  if (destination === undefined) {
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    try {
      destination.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      // Already closed: nothing more can be written.
      clearTimeout(timer);
      resolve();
    }
  });
}
