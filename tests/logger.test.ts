import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { captureLogs } from './helpers/logs.js';

describe('createLogger', () => {
  it('censors credentials wherever request headers are logged', () => {
    const logs = captureLogs();
    const logger = createLogger({ logLevel: 'info', logFormat: 'pretty' }, logs.stream);
    logger.info(
      {
        req: {
          method: 'GET',
          headers: { authorization: 'Bearer inv_secret', cookie: 'session=secret', accept: '*/*' },
        },
      },
      'request',
    );
    const [entry] = logs.entries();
    expect(entry?.req).toStrictEqual({
      method: 'GET',
      headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' },
    });
    expect(logs.text()).not.toContain('secret');
  });

  it('logs nothing below its level', () => {
    const logs = captureLogs();
    createLogger({ logLevel: 'warn', logFormat: 'json' }, logs.stream).info('quiet');
    expect(logs.entries()).toStrictEqual([]);
  });
});
