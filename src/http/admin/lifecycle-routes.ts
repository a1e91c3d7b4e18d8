/**
 * The admin page's lifecycle forms (issue #12): rename and SP entity ID, metadata (file, URL, paste, switch
 * between them, pinned signing certificate), activation (after a passing test, or an app admin's recorded
 * override), and the one-click mappings a test result suggests. Each goes through the ConnectionService with
 * the page's actor, so the connection's history and the audit log say who changed what.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { getPreset } from '../../core/mapping/presets.ts';
import type { MappedField } from '../../core/types.ts';
import type { ChangeContext } from '../../sp/change-context.ts';
import type { UpdateConnectionInput } from '../../sp/connection-input.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import { looksLikeToken } from '../../sp/tokens.ts';
import type { Logger } from '../logger.ts';
import type { AdminSession, AdminSessions } from './auth.ts';
import { flashing, testResultPath } from './page-routes.ts';

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;
type Middleware = (req: Request, res: Response, next: NextFunction) => void | Promise<void>;

export interface LifecycleRouteOptions {
  connections: ConnectionService;
  /** Reads the (multipart) form body of a signed-in admin. */
  form: Middleware[];
  signedIn: (handler: Handler) => (req: Request, res: Response) => Promise<void>;
  backToConnection: (res: Response, id: string, session: AdminSession) => Promise<void>;
  sessions: AdminSessions;
  logger: Logger;
  actor: (session: AdminSession) => ChangeContext;
}

const FIELDS: readonly MappedField[] = [
  'email',
  'firstName',
  'lastName',
  'displayName',
  'groups',
  'externalId',
];

export function lifecycleRoutes(options: LifecycleRouteOptions): Router {
  const { connections, form, signedIn, backToConnection, actor } = options;
  const router = express.Router();
  const fieldsOf = (req: Request) => (req.body ?? {}) as Record<string, string | undefined>;

  router.post(
    '/connections/:id/edit',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const f = fieldsOf(req);
      const current = await connections.get(id);
      const patch: UpdateConnectionInput = {};
      const name = f.displayName?.trim();
      if (name && name !== current.displayName) patch.displayName = name;
      if (f.allowDuplicateName === 'on') patch.allowDuplicateName = true;
      const mode = f.spEntityIdMode;
      if (mode === 'custom') {
        const custom = f.spEntityId?.trim();
        if (custom && custom !== current.spEntityId) patch.spEntityId = custom;
      } else if (mode === 'connection' || mode === 'shared') {
        if (mode !== (current.spEntityIdMode ?? (current.spEntityId ? 'custom' : 'shared'))) {
          patch.spEntityIdMode = mode;
        }
      }
      if (Object.keys(patch).filter((k) => k !== 'allowDuplicateName').length === 0) {
        session.flash = { kind: 'ok', text: 'Nothing changed.' };
      } else {
        await flashing(session, 'Connection saved.', () => connections.update(id, patch, actor(session)));
      }
      await backToConnection(res, id, session);
    }),
  );

  router.post(
    '/connections/:id/metadata',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const f = fieldsOf(req);
      const patch: UpdateConnectionInput = {};
      const xml = f.metadataFile?.trim() ? f.metadataFile : f.metadataXml?.trim() ? f.metadataXml : undefined;
      if (f.source === 'url' && f.metadataUrl?.trim()) patch.metadataUrl = f.metadataUrl.trim();
      else if (f.source !== 'url' && xml) patch.metadataXml = xml;
      if (f.idpEntityId?.trim()) patch.idpEntityId = f.idpEntityId.trim();
      if (f.unpin === 'on') patch.metadataSigningCertificates = null;
      else if (f.metadataSigningCertificate?.trim()) {
        patch.metadataSigningCertificates = [f.metadataSigningCertificate.trim()];
      }
      const limit = metadataLimitChange(
        f.metadataMaxMiB,
        (await connections.get(id)).policy.metadataMaxBytes,
      );
      if (limit !== undefined) patch.policy = { metadataMaxBytes: limit };
      if (Object.keys(patch).length === 0) {
        session.flash = {
          kind: 'error',
          text: 'Nothing to change: upload a file, paste the metadata, give a URL, or pin a certificate.',
        };
      } else {
        await flashing(session, 'Metadata saved.', () => connections.update(id, patch, actor(session)));
      }
      await backToConnection(res, id, session);
    }),
  );

  router.post(
    '/connections/:id/activate',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const override = fieldsOf(req).override === 'on';
      await flashing(
        session,
        override
          ? 'Connection activated without a passing test (override recorded).'
          : 'Connection activated.',
        () => connections.activate(id, { override }, actor(session)),
      );
      await backToConnection(res, id, session);
    }),
  );

  router.post(
    '/connections/:id/mapping/add',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const f = fieldsOf(req);
      const field = FIELDS.find((x) => x === f.field);
      const attribute = f.attribute?.trim();
      if (!field || !attribute) {
        session.flash = { kind: 'error', text: 'Choose a field and an attribute to map.' };
        await backToConnection(res, id, session);
        return;
      }
      const current = await connections.get(id);
      // The new name goes first; what the field read before (its override, else the preset's) stays behind it.
      const before = current.attributeMapping[field] ?? getPreset(current.preset)[field] ?? [];
      const attributeMapping = {
        ...current.attributeMapping,
        [field]: [attribute, ...before.filter((n) => n !== attribute)],
      };
      await flashing(
        session,
        `Mapped "${attribute}" to ${field}. Run the test again to see the result.`,
        () => connections.update(id, { attributeMapping }, actor(session)),
      );
      const run = f.run;
      if (looksLikeToken(run) && session.testRuns.has(run)) {
        await options.sessions.save(session);
        res.redirect(303, testResultPath(id, run));
        return;
      }
      await backToConnection(res, id, session);
    }),
  );
  return router;
}

/**
 * The page's "largest metadata document" field (MiB; empty for the default) as a policy change: undefined when
 * unchanged, null to go back to the default. A value that is not a whole number is passed on for the service
 * to refuse with the bounds.
 */
function metadataLimitChange(
  field: string | undefined,
  current: number | undefined,
): number | null | undefined {
  const raw = field?.trim();
  if (raw === undefined) return undefined;
  if (raw === '') return current === undefined ? undefined : null;
  const bytes = Number(raw) * 1024 * 1024;
  return bytes === current ? undefined : bytes;
}
