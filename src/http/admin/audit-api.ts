/**
 * The admin API's identity and audit routes, mounted inside the admin API (behind its bearer check):
 *
 *   POST   /admin-tokens          { name } -> 201 { id, name, token, createdAt, createdBy } (token shown once)
 *   GET    /admin-tokens          list (never the tokens)
 *   DELETE /admin-tokens/:id      revoke -> 200 with the revoked identity
 *   GET    /audit?since=&afterSeq=&limit=&targetType=&targetId=   JSON { entries, nextAfterSeq }
 *   GET    /audit?format=jsonl&since=…                            every matching entry, one JSON line each
 *
 * The audit log has no route that changes or removes an entry.
 */
import type { Request, Router } from 'express';
import type { AdminIdentities } from '../../audit/index.ts';
import { type AuditLog, auditEntryJson, auditQueryOf } from '../../audit/index.ts';
import { changeContextOf } from './auth.ts';

export function auditRoutes(router: Router, options: { identities: AdminIdentities; audit: AuditLog }): void {
  const { identities, audit } = options;

  router.post('/admin-tokens', async (req, res) => {
    const created = await identities.create(req.body as { name: string }, changeContextOf(res));
    res.status(201).location(`${req.baseUrl}/admin-tokens/${encodeURIComponent(created.id)}`);
    res.json(created);
  });

  router.get('/admin-tokens', async (_req, res) => {
    res.json(await identities.list());
  });

  router.delete('/admin-tokens/:id', async (req, res) => {
    res.json(await identities.revoke(req.params.id as string, changeContextOf(res)));
  });

  router.get('/audit', async (req: Request, res) => {
    const { format, ...query } = auditQueryOf(req.query);
    if (format === 'jsonl') {
      res.type('application/jsonl; charset=utf-8');
      const { afterSeq: _a, limit: _l, ...all } = query;
      try {
        for await (const line of audit.exportJsonLines(all)) {
          if (res.destroyed) return; // the client went away
          if (!res.write(line)) {
            await new Promise<void>((resolve) => {
              const done = () => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.on('drain', done);
              res.on('close', done);
            });
          }
        }
      } catch (error) {
        // Lines already went out: cut the connection, so a truncated export cannot pass for a whole one.
        if (res.headersSent) {
          res.destroy();
          return;
        }
        throw error;
      }
      res.end();
      return;
    }
    const entries = await audit.list(query);
    const last = entries[entries.length - 1];
    res.json({ entries: entries.map(auditEntryJson), ...(last ? { nextAfterSeq: last.seq } : {}) });
  });
}
