/** `/admin/api/oidc-clients`: the OpenID bridge's relying parties (CONTRACT.md). Mounted by the admin API. */
import express, { type Router } from 'express';
import type { OidcClientService } from '../../oidc/clients.ts';

export function oidcClientApi(clients: OidcClientService): Router {
  const router = express.Router();
  router.post('/oidc-clients', async (req, res) => {
    const { client, clientSecret } = await clients.create(req.body, {
      actor: { kind: 'admin-token', name: 'admin' },
    });
    res.status(201).location(`${req.baseUrl}/oidc-clients/${encodeURIComponent(client.clientId)}`);
    // The secret is shown once: it is stored only as a hash.
    res.json({ clientId: client.clientId, ...(clientSecret ? { clientSecret } : {}), client });
  });
  router.get('/oidc-clients', async (_req, res) => {
    res.json(await clients.list());
  });
  router.get('/oidc-clients/:id', async (req, res) => {
    res.json(await clients.get(req.params.id as string));
  });
  router.delete('/oidc-clients/:id', async (req, res) => {
    await clients.remove(req.params.id as string, { actor: { kind: 'admin-token', name: 'admin' } });
    res.status(204).end();
  });
  return router;
}
