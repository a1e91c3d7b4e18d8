/**
 * The key ring in the admin JSON API (mounted under /admin/api, behind the same bearer token):
 *
 *   GET  /keys[?connectionId=ID]          every key (or a connection's own), with dates; with a connection,
 *                                         the keys it uses and its key lint
 *   POST /keys                            { use, connectionId? } generates a `next` key -> 201;
 *                                         { use, certificatePem, keyRef, connectionId? } registers one held elsewhere
 *   POST /keys/:id/promote                next -> active
 *   POST /keys/:id/retire                 active | next -> retired
 */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import type { KeyRing } from '../../keys/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import { changeContextOf } from './auth.ts';

const createKeySchema = z
  .object({
    use: z.enum(['signing', 'encryption']),
    connectionId: z.string().min(1).max(200).optional(),
    certificatePem: z.string().min(1).max(20_000).optional(),
    keyRef: z.string().min(1).max(2000).optional(),
  })
  .strict()
  .refine((b) => (b.certificatePem === undefined) === (b.keyRef === undefined), {
    message: 'certificatePem and keyRef go together (a key held elsewhere), or neither (generate one).',
  });

/** The /keys routes; errors go to the admin API's error handler. */
export function keysApi(keyRing: KeyRing): Router {
  const router = express.Router();

  router.get('/', async (req, res) => {
    const connectionId = typeof req.query.connectionId === 'string' ? req.query.connectionId : undefined;
    if (!connectionId) {
      res.json({ keys: await keyRing.list() });
      return;
    }
    const [keys, used, lint] = await Promise.all([
      keyRing.list(),
      keyRing.recordsFor(connectionId),
      keyRing.lint(connectionId),
    ]);
    res.json({
      keys: keys.filter((k) => k.connectionId === null || k.connectionId === connectionId),
      uses: {
        signing: used.signing.active?.id ?? null,
        published: [...used.signing.published, ...used.encryption.published].map((k) => k.id),
        decryption: used.encryption.decryption.map((k) => k.id),
      },
      lint,
    });
  });

  router.post('/', async (req, res) => {
    const parsed = createKeySchema.safeParse(jsonBody(req));
    if (!parsed.success) {
      throw new AdminError('ADMIN_INVALID_REQUEST', parsed.error.issues.map((i) => i.message).join('; '), {
        hint: 'Send { "use": "signing" | "encryption", "connectionId"?: "…" } to generate a key.',
      });
    }
    const { use, connectionId, certificatePem, keyRef } = parsed.data;
    const key =
      certificatePem !== undefined && keyRef !== undefined
        ? await keyRing.add({ use, connectionId, certificatePem, keyRef }, changeContextOf(res))
        : await keyRing.generate({ use, connectionId }, changeContextOf(res));
    res
      .status(201)
      .location(`${req.baseUrl}/${encodeURIComponent(key.id)}`)
      .json(key);
  });

  router.get('/:id', async (req, res) => {
    res.json(await keyRing.get(req.params.id as string));
  });

  router.post('/:id/promote', async (req, res) => {
    res.json(await keyRing.promote(req.params.id as string, changeContextOf(res)));
  });

  router.post('/:id/retire', async (req, res) => {
    res.json(await keyRing.retire(req.params.id as string, changeContextOf(res)));
  });

  return router;
}

function jsonBody(req: Request): unknown {
  if (!req.is('application/json')) {
    throw new AdminError('ADMIN_INVALID_REQUEST', 'The request body must be JSON.', {
      hint: 'Send Content-Type: application/json.',
      status: 415,
    });
  }
  return req.body;
}
