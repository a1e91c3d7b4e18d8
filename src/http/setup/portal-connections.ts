/**
 * The seam between the setup portal and connection management. The portal needs six things from a connection:
 * reserve one for a link, show its SP values before any IdP metadata exists, take the IdP's metadata, start a
 * test sign-in, read the test's result, and activate it. {@link PortalConnections} names exactly those.
 *
 * {@link mainPortalConnections} implements them on what main has today: a connection cannot exist without
 * metadata, so the id is only reserved (its SP values are computable from the id alone, with a per-connection
 * SP entity ID), the connection is created when the metadata arrives, the test is the admin page's "Test
 * sign-in" flow (a real sign-in: it creates the user and an app session, issue #12 item 4 says why that must
 * change), and activation has nothing to switch (a connection is live once created), so only the link records
 * it. When the create-first draft connections and the gated test flow land, an implementation on their
 * service methods replaces this one: `reserve` creates the draft, `testSignIn`/`testResult` use the isolated
 * test flow, `activate` switches draft -> active. The portal's routes and pages stay as they are.
 */
import { randomBytes } from 'node:crypto';
import { buildSpMetadata } from '../../core/metadata/sp-metadata.ts';
import type { PresetName } from '../../core/types.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import type { ChangeContext } from '../../sp/change-context.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import type { ConnectionView } from '../../sp/connection-view.ts';
import type { SpValues } from '../admin/pages/instructions.ts';
import type { TestRunResult, TestRuns } from '../admin/test-runs.ts';

/** What the portal shows about the link's connection. */
export interface PortalConnectionState {
  connectionId: string;
  /** The values the IdP admin pastes: entity ID, ACS, SLO, SP metadata URL. */
  sp: SpValues;
  /** The SP's signing certificate (PEM), for IdPs that verify signed requests. */
  spCertificatePem: string;
  /** The signed SP metadata document, for IdPs that import a file. */
  spMetadataXml: string;
  /** The connection as the admin API shows it, once it has IdP metadata. */
  view?: ConnectionView;
}

/** What a test sign-in gave: still waiting, passed (with what arrived), or failed (with the code and fix). */
export type PortalTestOutcome =
  | { status: 'pending' }
  | { status: 'passed'; result: TestRunResult }
  | { status: 'failed'; at: string; code: string; message: string; hint: string };

export interface MetadataSubmission {
  /** The link's organization: a new connection joins it; an existing one must already belong to it. */
  organizationId: string;
  metadataXml?: string;
  metadataUrl?: string;
  preset: PresetName;
  displayName: string;
}

export interface PortalConnections {
  /** A connection id for a link that has none yet (the portal binds it to the link; the first binding wins). */
  reserve(organizationId: string): Promise<string>;
  describe(connectionId: string): Promise<PortalConnectionState>;
  /** Takes the IdP's metadata (a document or a URL fetched now); throws the metadata's SamlSpError. */
  submitMetadata(
    connectionId: string,
    input: MetadataSubmission,
    context?: ChangeContext,
  ): Promise<ConnectionView>;
  /** Where the browser goes to start a test sign-in whose result comes back to `returnTo`. */
  testSignInUrl(connectionId: string, returnTo: string): string;
  testResult(connectionId: string, run: string, startedAt: number): Promise<PortalTestOutcome>;
  /** Makes the connection live for sign-in (called only after a passing test). */
  activate(connectionId: string, context?: ChangeContext): Promise<void>;
}

/**
 * The portal on main's ConnectionService and the admin page's TestRuns.
 *
 * @example
 * ```ts
 * const portalConnections = mainPortalConnections(connections, testRuns);
 * ```
 */
export function mainPortalConnections(connections: ConnectionService, testRuns: TestRuns): PortalConnections {
  const sp = connections.sp;
  /** The per-connection SP entity ID that `ownSpEntityId: true` gives (ConnectionService.create). */
  const ownEntityId = (id: string) => sp.spIdentity({ id }).metadataUrl;
  const existing = async (id: string) => (await sp.stores.connections.get(id)) ?? undefined;

  return {
    async reserve(organizationId) {
      const slug =
        organizationId
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 40) || 'org';
      for (;;) {
        const id = `${slug}-${randomBytes(4).toString('hex')}`;
        if (!(await existing(id))) return id;
      }
    },

    async describe(connectionId) {
      const connection = await existing(connectionId);
      const identity = sp.spIdentity(
        connection ?? { id: connectionId, spEntityId: ownEntityId(connectionId) },
      );
      return {
        connectionId,
        sp: {
          entityId: identity.entityId,
          acsUrl: identity.acsUrl,
          sloUrl: identity.sloUrl,
          metadataUrl: identity.metadataUrl,
        },
        spCertificatePem: identity.signing.certificatePem,
        spMetadataXml: connection ? sp.metadataFor(connection) : buildSpMetadata(identity),
        ...(connection ? { view: await connections.view(connection) } : {}),
      };
    },

    async submitMetadata(connectionId, input, context = {}) {
      const source =
        input.metadataXml !== undefined
          ? { metadataXml: input.metadataXml }
          : { metadataUrl: input.metadataUrl as string };
      const current = await existing(connectionId);
      if (current) {
        // Only a connection of the link's own organization: a reserved id that someone else took is refused.
        if (current.organizationId !== input.organizationId) {
          throw new AdminError(
            'CONNECTION_EXISTS',
            'This setup link’s connection id is taken by another connection.',
            {
              hint: 'Ask for a new setup link.',
              status: 409,
            },
          );
        }
        return connections.view(
          await connections.update(connectionId, { ...source, preset: input.preset }, context),
        );
      }
      const created = await connections.create(
        {
          id: connectionId,
          displayName: input.displayName,
          organizationId: input.organizationId,
          ...source,
          preset: input.preset,
          ownSpEntityId: true,
        },
        context,
      );
      return connections.view(created);
    },

    testSignInUrl(connectionId, returnTo) {
      return `${sp.routePrefix}/${encodeURIComponent(connectionId)}/login?returnTo=${encodeURIComponent(returnTo)}`;
    },

    async testResult(connectionId, run, startedAt) {
      const result = await testRuns.get(run, sp.now().getTime());
      if (result && result.connectionId === connectionId) return { status: 'passed', result };
      const failure = (await connections.health.get(connectionId))?.lastFailure;
      if (failure && failure.at.getTime() >= startedAt) {
        return {
          status: 'failed',
          at: failure.at.toISOString(),
          code: failure.code,
          message: failure.message,
          hint: failure.hint,
        };
      }
      return { status: 'pending' };
    },

    async activate() {
      // Main has no draft state: a connection signs users in from the moment it has metadata. The setup link
      // records the activation; the create-first connections replace this with draft -> active.
    },
  };
}
