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

/**
 * Standard output through pino's own asynchronous destination (sonic-boom): a line is queued and
 * written when the output can take it, so a slow reader (a pipe, a log collector) never holds a
 * request. Lines are written 4 KiB at a time, or every LOG_FLUSH_INTERVAL_MS when fewer come: one
 * write for a dozen request lines instead of one each, which was a twentieth of the CPU of a GET by id
 * under load. What is queued is written out when the process exits, whether it stops, crashes or
 * calls process.exit() (pino flushes its asynchronous destinations then: tests/logger.process.test.ts).
 */
function batchedStdout(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    destination.flush();
  }, LOG_FLUSH_INTERVAL_MS).unref();
  return destination;
}
