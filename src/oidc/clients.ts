/**
 * Registering the bridge's relying parties: one implementation behind the admin API and the CLI. The secret
 * is made here, returned once, and stored only as a hash; redirect URIs are matched exactly by the provider.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AdminError } from '../sp/admin-errors.ts';
import type { ChangeContext } from '../sp/change-context.ts';
import { parseInput } from '../sp/connection-input.ts';
import type { OidcClientRecord, OidcStore } from '../store/oidc.ts';
import { clientMetadata } from './provider-adapter.ts';
import { hashClientSecret, newClientSecret } from './secrets.ts';

const uri = z.url({ error: 'must be an absolute URL' }).max(2048);

/** `POST /admin/api/oidc-clients` (CONTRACT.md). */
export const createOidcClientSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  redirectUris: z.array(uri).min(1).max(20),
  postLogoutRedirectUris: z.array(uri).max(20).optional(),
  organizationId: z.string().min(1).max(63).optional(),
  /** A public client (single-page or native app) has no secret and must use PKCE. */
  public: z.boolean().optional(),
  backchannelLogoutUri: uri.optional(),
});

export type CreateOidcClientInput = z.input<typeof createOidcClientSchema>;

/** A client as the admin API shows it: never the secret or its hash. */
export interface OidcClientView {
  clientId: string;
  name: string;
  public: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  organizationId: string | null;
  backchannelLogoutUri: string | null;
  createdAt: string;
}

export class OidcClientService {
  readonly #store: OidcStore;
  /** The provider's own check of the client metadata (redirect URI rules and the rest). */
  readonly #validate: (metadata: Record<string, unknown>) => Promise<void>;
  readonly #now: () => Date;

  constructor(options: {
    store: OidcStore;
    validate: (metadata: Record<string, unknown>) => Promise<void>;
    now?: () => Date;
  }) {
    this.#store = options.store;
    this.#validate = options.validate;
    this.#now = options.now ?? (() => new Date());
  }

  /** Registers a client; the secret (confidential clients) is in the result and nowhere else. */
  async create(
    raw: unknown,
    _context: ChangeContext = {},
  ): Promise<{ client: OidcClientView; clientSecret?: string }> {
    const input = parseInput(createOidcClientSchema, raw);
    const secret = input.public ? undefined : newClientSecret();
    const record: OidcClientRecord = {
      clientId: `oidc_${randomBytes(12).toString('base64url')}`,
      name: input.name,
      ...(secret ? { secretHash: hashClientSecret(secret) } : {}),
      redirectUris: input.redirectUris,
      postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
      ...(input.organizationId ? { organizationId: input.organizationId } : {}),
      ...(input.backchannelLogoutUri ? { backchannelLogoutUri: input.backchannelLogoutUri } : {}),
      createdAt: this.#now().toISOString(),
    };
    try {
      await this.#validate(clientMetadata(record));
    } catch (err) {
      throw new AdminError(
        'OIDC_CLIENT_INVALID',
        `The client registration was refused: ${(err as Error).message}`,
        {
          hint: 'Check the redirect URIs (absolute, no fragment; https unless for localhost) and the logout URIs.',
          status: 400,
          cause: err,
        },
      );
    }
    await this.#store.putClient(record);
    return { client: viewOf(record), ...(secret ? { clientSecret: secret } : {}) };
  }

  async list(): Promise<OidcClientView[]> {
    return (await this.#store.listClients()).map(viewOf);
  }

  async get(clientId: string): Promise<OidcClientView> {
    const client = await this.#store.getClient(clientId);
    if (!client) throw notFound(clientId);
    return viewOf(client);
  }

  async remove(clientId: string, _context: ChangeContext = {}): Promise<void> {
    if (!(await this.#store.deleteClient(clientId))) throw notFound(clientId);
  }
}

function viewOf(client: OidcClientRecord): OidcClientView {
  return {
    clientId: client.clientId,
    name: client.name,
    public: client.secretHash === undefined,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    organizationId: client.organizationId ?? null,
    backchannelLogoutUri: client.backchannelLogoutUri ?? null,
    createdAt: client.createdAt,
  };
}

function notFound(clientId: string): AdminError {
  return new AdminError('OIDC_CLIENT_NOT_FOUND', `There is no OpenID client "${clientId}".`, {
    hint: 'List the clients with GET /admin/api/oidc-clients or `saml-sp oidc-clients list`.',
    status: 404,
  });
}
