/**
 * oidc-provider's storage adapter (its `adapter` option) over the bridge's OidcStore: every model the
 * provider persists (codes, tokens, grants, sessions, interactions) becomes a row keyed by (model, id), and
 * the `Client` model is read from the registered relying parties, so clients live in our database, not in
 * the provider's static configuration.
 */
import type { OidcClientRecord, OidcStore } from '../store/oidc.ts';

/** How long a record the provider gives no lifetime is kept (oidc-provider passes one for every model it uses). */
const FALLBACK_TTL_SECONDS = 14 * 86_400;

/** The client metadata oidc-provider validates and uses, from a registered relying party. */
export function clientMetadata(client: OidcClientRecord): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_name: client.name,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
    // The stored value is the secret's hash: compareClientSecret is replaced to compare hashes (bridge.ts).
    ...(client.secretHash
      ? { client_secret: client.secretHash, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
    ...(client.organizationId ? { organization_id: client.organizationId } : {}),
  };
}

/** Builds the adapter class oidc-provider instantiates once per model name. */
export function providerAdapter(store: OidcStore, now: () => Date) {
  return class OidcProviderAdapter {
    readonly name: string;

    constructor(name: string) {
      this.name = name;
    }

    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      if (this.name === 'Client') return; // clients are registered through the admin API, never by the provider
      const ttl = expiresIn ?? FALLBACK_TTL_SECONDS;
      await store.upsertPayload({
        kind: this.name,
        id,
        payload,
        ...(typeof payload.grantId === 'string' ? { grantId: payload.grantId } : {}),
        ...(typeof payload.accountId === 'string' ? { accountId: payload.accountId } : {}),
        ...(typeof payload.uid === 'string' ? { uid: payload.uid } : {}),
        ...(typeof payload.userCode === 'string' ? { userCode: payload.userCode } : {}),
        expiresAt: new Date(now().getTime() + ttl * 1000),
      });
    }

    async find(id: string): Promise<Record<string, unknown> | undefined> {
      if (this.name === 'Client') {
        const client = await store.getClient(id);
        return client && clientMetadata(client);
      }
      return store.findPayload(this.name, id, now());
    }

    async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      return store.findPayloadBy(this.name, 'uid', uid, now());
    }

    async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
      return store.findPayloadBy(this.name, 'userCode', userCode, now());
    }

    async consume(id: string): Promise<void> {
      await store.consumePayload(this.name, id, now());
    }

    async destroy(id: string): Promise<void> {
      await store.destroyPayload(this.name, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeGrant(grantId);
    }
  };
}
