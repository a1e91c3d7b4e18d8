/**
 * The seam between the setup portal and connection management. The portal needs six things from a connection:
 * reserve one for a link, show its SP values before any IdP metadata exists, take the IdP's metadata, start a
 * test sign-in, read the test's result, and activate it. {@link PortalConnections} names exactly those.
 *
 * {@link draftPortalConnections} implements them on the create-first connections (src/sp/connection-service.ts)
 * and the isolated test sign-in (src/sp/test-sign-in.ts): `reserve` creates a draft in the link's organization,
 * the metadata moves it to `testing`, the test creates no user and no session, and `activate` is the service's
 * draft -> active switch, which refuses without a passing test and refuses a setup link's override. Every change
 * carries the setup-link actor, so the audit log and the connection's history name the link.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { MappedProfile, PresetName } from '../../core/types.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import type { ChangeContext } from '../../sp/change-context.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import type { ConnectionView } from '../../sp/connection-view.ts';
import type { TestSignIns } from '../../sp/test-sign-in.ts';
import type { SpValues } from '../admin/pages/instructions.ts';
import { sendTestSignIn } from '../test-sign-in-routes.ts';

/** The portal's own test result page: it names no connection; the run says which one it tested. */
export function portalTestResultPath(run: string): string {
  return `/setup/portal/test-result?run=${run}`;
}

/** What the portal shows about the link's connection. */
export interface PortalConnectionState {
  connectionId: string;
  /** The values the IdP admin pastes: entity ID, ACS, SLO, SP metadata URL. */
  sp: SpValues;
  /** The SP's signing certificate (PEM), for IdPs that verify signed requests. */
  spCertificatePem: string;
  /** The signed SP metadata document, for IdPs that import a file. */
  spMetadataXml: string;
  /** The connection as the admin API shows it, once it has IdP metadata (a draft has none: undefined). */
  view?: ConnectionView;
}

/** What a passing test sign-in received, as the portal shows it. */
export interface PortalTestResult {
  connectionId: string;
  at: string;
  nameId: { value: string; format?: string };
  attributes: Record<string, string[]>;
  /** The mapped profile; its warnings include the test's mapping report (expected fields left empty). */
  profile: MappedProfile;
}

/** What a test sign-in gave: still waiting, passed (with what arrived), or failed (with the code and fix). */
export type PortalTestOutcome =
  | { status: 'pending' }
  | { status: 'passed'; result: PortalTestResult }
  | { status: 'failed'; at: string; code: string; message: string; hint: string };

export interface MetadataSubmission {
  /** The link's organization: the connection must belong to it. */
  organizationId: string;
  metadataXml?: string;
  metadataUrl?: string;
  preset: PresetName;
  displayName: string;
}

export interface PortalConnections {
  /** A new connection for a link that has none yet (the portal binds it to the link; the first binding wins). */
  reserve(organizationId: string, displayName: string, context?: ChangeContext): Promise<string>;
  /** Drops a connection reserved by a binding that lost the race (a draft nobody will see). */
  release(connectionId: string, context?: ChangeContext): Promise<void>;
  describe(connectionId: string): Promise<PortalConnectionState>;
  /** Takes the IdP's metadata (a document or a URL fetched now); throws the metadata's SamlSpError. */
  submitMetadata(
    connectionId: string,
    input: MetadataSubmission,
    context?: ChangeContext,
  ): Promise<ConnectionView>;
  /** Starts a test sign-in in this browser and sends it to the IdP; the result comes back to `resultPath(run)`. */
  startTest(
    req: Request,
    res: Response,
    connectionId: string,
    options: { onStarted: (run: string) => Promise<void>; context?: ChangeContext },
  ): Promise<string>;
  testResult(connectionId: string, run: string): Promise<PortalTestOutcome>;
  /** Makes the connection live for sign-in (the service refuses it without a passing test). */
  activate(connectionId: string, context?: ChangeContext): Promise<void>;
}

/**
 * The portal on the create-first ConnectionService and the isolated TestSignIns.
 *
 * @example
 * ```ts
 * const portalConnections = draftPortalConnections(connections, tests, { sessionCookieName: 'sid' });
 * ```
 */
export function draftPortalConnections(
  connections: ConnectionService,
  tests: TestSignIns,
  options: { sessionCookieName?: string } = {},
): PortalConnections {
  const sp = connections.sp;

  async function ofOrganization(connectionId: string, organizationId: string) {
    const current = await connections.get(connectionId);
    // Only a connection of the link's own organization (an admin may have moved it meanwhile).
    if (current.organizationId !== organizationId) {
      throw new AdminError(
        'CONNECTION_EXISTS',
        'This setup link’s connection now belongs to another organization.',
        { hint: 'Ask for a new setup link.', status: 409 },
      );
    }
    return current;
  }

  return {
    async reserve(organizationId, displayName, context = {}) {
      // A draft: a name and the organization only. Several links of one organization may set up several
      // connections, so the name need not be unique (the admin renames it on the admin page).
      // The id is short and names the organization: `<org-slug>-<8 hex>` (it shows in the SP URLs).
      const slug =
        organizationId
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 40) || 'org';
      for (;;) {
        const id = `${slug}-${randomBytes(4).toString('hex')}`;
        if (await sp.stores.connections.get(id)) continue;
        const draft = await connections.create(
          { id, displayName, organizationId, allowDuplicateName: true },
          context,
        );
        return draft.id;
      }
    },

    async release(connectionId, context = {}) {
      await connections.remove(connectionId, context);
    },

    async describe(connectionId) {
      const connection = await connections.get(connectionId);
      const identity = sp.spIdentity(connection);
      return {
        connectionId,
        sp: {
          entityId: identity.entityId,
          acsUrl: identity.acsUrl,
          sloUrl: identity.sloUrl,
          metadataUrl: identity.metadataUrl,
        },
        spCertificatePem: identity.signing.certificatePem,
        spMetadataXml: await sp.metadataFor(connection),
        ...(connection.status === 'draft' ? {} : { view: await connections.view(connection) }),
      };
    },

    async submitMetadata(connectionId, input, context = {}) {
      await ofOrganization(connectionId, input.organizationId);
      const source =
        input.metadataXml !== undefined
          ? { metadataXml: input.metadataXml }
          : { metadataUrl: input.metadataUrl as string };
      return connections.view(
        await connections.update(connectionId, { ...source, preset: input.preset }, context),
      );
    },

    startTest(req, res, connectionId, start) {
      return sendTestSignIn(req, res, {
        tests,
        connectionId,
        resultPath: portalTestResultPath,
        onStarted: start.onStarted,
        ...(start.context ? { context: start.context } : {}),
        ...(options.sessionCookieName ? { sessionCookieName: options.sessionCookieName } : {}),
      });
    },

    async testResult(connectionId, run) {
      const record = await tests.get(run);
      // A run of another connection is not this link's test (the run id came from this portal session).
      if (!record || record.connectionId !== connectionId || !record.result) return { status: 'pending' };
      const result = record.result;
      if (result.outcome === 'failed' || !result.assertion) {
        return {
          status: 'failed',
          at: result.at,
          code: result.error?.code ?? 'SAML_TEST_FAILED',
          message: result.error?.message ?? 'The test sign-in failed.',
          hint: result.error?.hint ?? 'Run the test again; the admin of this service can see every check.',
        };
      }
      const profile = result.profile ?? { groups: [], warnings: [] };
      const missing = result.mapping?.missing ?? [];
      return {
        status: 'passed',
        result: {
          connectionId,
          at: result.at,
          nameId: result.assertion.nameId,
          attributes: result.assertion.attributes,
          profile: {
            ...profile,
            warnings: [...profile.warnings, ...missing.map((m) => `Your IdP sent nothing for ${m.field}.`)],
          },
        },
      };
    },

    async activate(connectionId, context = {}) {
      // No override: a setup-link actor may not skip the test (ConnectionService refuses with ADMIN_FORBIDDEN).
      await connections.activate(connectionId, {}, context);
    },
  };
}
