/**
 * The webhook part of the admin JSON API, mounted at /admin/api/webhooks behind the admin bearer token:
 *
 *   GET    /webhooks                                 endpoints (never their secrets)
 *   POST   /webhooks                                 { url, description?, eventTypes?, enabled? } -> 201 with `secret` (once)
 *   GET    /webhooks/event-types                     the event catalogue's types
 *   GET    /webhooks/deliveries?endpointId=&status=&limit=   recent deliveries, newest first
 *   GET    /webhooks/deliveries/:messageId           one delivery with its attempt log
 *   POST   /webhooks/deliveries/:messageId/redeliver send it again -> 202
 *   GET, PATCH, DELETE /webhooks/:id                 read, change (url, description, eventTypes, enabled), remove
 *
 * Errors reach the API's error handler (`{ "error": { code, message, hint } }`).
 */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { EVENT_TYPES, type WebhookService } from '../../events/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import { parseInput } from '../../sp/connection-input.ts';

const deliveriesQuery = z.strictObject({
  endpointId: z.string().min(1).max(100).optional(),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** The router; mount it inside the admin API (after its bearer check and JSON parser). */
export function webhookApi(webhooks: WebhookService): Router {
  const router = express.Router();

  router.get('/', async (_req, res) => {
    res.json(await webhooks.list());
  });

  router.post('/', async (req, res) => {
    const { endpoint, secret } = await webhooks.create(jsonBody(req));
    res.status(201).location(`${req.baseUrl}/${encodeURIComponent(endpoint.id)}`);
    // The only time the secret leaves the server: the receiver needs it to verify signatures.
    res.json({ ...endpoint, secret });
  });

  router.get('/event-types', (_req, res) => {
    res.json(EVENT_TYPES);
  });

  router.get('/deliveries', async (req, res) => {
    res.json(await webhooks.deliveries(parseInput(deliveriesQuery, { ...req.query })));
  });

  router.get('/deliveries/:messageId', async (req, res) => {
    res.json(await webhooks.delivery(req.params.messageId as string));
  });

  router.post('/deliveries/:messageId/redeliver', async (req, res) => {
    res.status(202).json(await webhooks.redeliver(req.params.messageId as string));
  });

  router.get('/:id', async (req, res) => {
    res.json(await webhooks.get(req.params.id as string));
  });

  router.patch('/:id', async (req, res) => {
    res.json(await webhooks.update(req.params.id as string, jsonBody(req)));
  });

  router.delete('/:id', async (req, res) => {
    await webhooks.remove(req.params.id as string);
    res.status(204).end();
  });

  return router;
}

function jsonBody<T>(req: Request): T {
  if (!req.is('application/json')) {
    throw new AdminError('ADMIN_INVALID_REQUEST', 'The request body must be JSON.', {
      hint: 'Send Content-Type: application/json.',
      status: 415,
    });
  }
  return req.body as T;
}
