/**
 * Storage port of the OpenID bridge (issue #17): the relying parties registered with it, the bridge's token
 * signing keys, and the records oidc-provider keeps (grants, codes, refresh tokens, sessions, interactions).
 * One adapter per backend, as for every store; the contract suite is test/store/oidc.contract.ts.
 */

/** A relying party as the bridge keeps it: oidc-provider client metadata, the secret only as a hash. */
export interface OidcClientRecord {
  clientId: string;
  name: string;
  /** SHA-256 of the secret (base64url), never the secret; absent for a public client (PKCE only). */
  secretHash?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  organizationId?: string;
  backchannelLogoutUri?: string;
  createdAt: string;
}

/** One signing key of the bridge, as a private JWK, with the dates of its rotation. */
export interface OidcSigningKey {
  kid: string;
  /** The private JWK (RSA, RS256). Kept in the database like the SP's own key files are kept on disk. */
  privateJwk: Record<string, unknown>;
  createdAt: Date;
  /** When it stopped signing (a newer key took over); it stays published until `retireAt`. */
  supersededAt?: Date;
  /** When it leaves the JWKS: tokens it signed no longer verify. */
  retireAt?: Date;
}

/** An oidc-provider record: `kind` is the model name (AuthorizationCode, RefreshToken, Session, Grant, ...). */
export interface OidcPayloadRecord {
  kind: string;
  id: string;
  payload: Record<string, unknown>;
  grantId?: string;
  /** The account (SP user id) of Session and Grant records: how a SAML logout finds them. */
  accountId?: string;
  uid?: string;
  userCode?: string;
  expiresAt: Date;
}

export interface OidcStore {
  putClient(client: OidcClientRecord): Promise<void>;
  getClient(clientId: string): Promise<OidcClientRecord | undefined>;
  listClients(): Promise<OidcClientRecord[]>;
  deleteClient(clientId: string): Promise<boolean>;

  putKey(key: OidcSigningKey): Promise<void>;
  /** Keys not yet retired at `now`, newest first. */
  listKeys(now: Date): Promise<OidcSigningKey[]>;

  upsertPayload(record: OidcPayloadRecord): Promise<void>;
  /** The live payload, or undefined when unknown or expired at `now`. */
  findPayload(kind: string, id: string, now: Date): Promise<Record<string, unknown> | undefined>;
  findPayloadBy(
    kind: string,
    field: 'uid' | 'userCode',
    value: string,
    now: Date,
  ): Promise<Record<string, unknown> | undefined>;
  /** The live records of one kind for an account, with their ids. */
  listPayloadsByAccount(
    kind: string,
    accountId: string,
    now: Date,
  ): Promise<{ id: string; payload: Record<string, unknown> }[]>;
  /** Marks the payload consumed (oidc-provider then refuses a second use and revokes the grant). */
  consumePayload(kind: string, id: string, at: Date): Promise<void>;
  destroyPayload(kind: string, id: string): Promise<void>;
  /** Removes every record of the grant, of every kind: how a refresh token "stops working" after logout. */
  revokeGrant(grantId: string): Promise<void>;
  purgeExpired(now: Date): Promise<number>;
}
