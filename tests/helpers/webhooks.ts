// Webhook subscriptions for tests, made through the API.
import { expect } from 'vitest';
import type { WebhookWithSecret } from '../../src/webhooks/webhooks.schemas.js';
import { AS_BOOTSTRAP, type TestApp } from './build-test-app.js';

/** A public address for webhook URLs: it needs no name resolution, and nothing is ever sent to it here. */
export const PUBLIC_URL = 'https://93.184.215.14/hooks/inventory';

/** Creates a subscription as the bootstrap token, which must succeed. */
export async function createWebhook(t: TestApp, body: Record<string, unknown> = {}): Promise<WebhookWithSecret> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: AS_BOOTSTRAP,
    payload: { url: PUBLIC_URL, ...body },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<WebhookWithSecret>();
}
