import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from './config.js';

/**
 * The process's one logger: JSON lines, one per event. Credentials are censored wherever a
 * request's headers are logged.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, stream?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  };
  return stream === undefined ? pino(options) : pino(options, stream);
}
