/** The OidcStore contract (the OpenID bridge's clients, keys and provider records): every adapter must pass it. */
import { describe, expect, it } from 'vitest';
import type { OidcClientRecord, OidcStore } from '../../src/store/oidc.ts';
import { at, type Factory, useStore } from './harness.ts';

function client(id: string, overrides: Partial<OidcClientRecord> = {}): OidcClientRecord {
  return {
    clientId: id,
    name: `Client ${id}`,
    secretHash: 'sha256:abc',
    redirectUris: ['https://app.example.com/cb'],
    postLogoutRedirectUris: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function oidcStoreContract(name: string, factory: Factory<OidcStore>): void {
  describe(`OidcStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('keeps clients: put, get, list in id order, delete', async () => {
      await store().putClient(client('b'));
      await store().putClient(client('a', { organizationId: 'acme', secretHash: undefined }));
      expect(await store().getClient('a')).toEqual(
        client('a', { organizationId: 'acme', secretHash: undefined }),
      );
      expect((await store().listClients()).map((c) => c.clientId)).toEqual(['a', 'b']);
      expect(await store().deleteClient('a')).toBe(true);
      expect(await store().deleteClient('a')).toBe(false);
      expect(await store().getClient('a')).toBeUndefined();
    });

    it('lists the keys not yet retired, newest first', async () => {
      const jwk = { kty: 'RSA', n: 'x', e: 'AQAB' };
      await store().putKey({
        kid: 'old',
        privateJwk: jwk,
        createdAt: at(0),
        supersededAt: at(100),
        retireAt: at(200),
      });
      await store().putKey({ kid: 'new', privateJwk: jwk, createdAt: at(100) });
      expect((await store().listKeys(at(150))).map((k) => k.kid)).toEqual(['new', 'old']);
      expect((await store().listKeys(at(200))).map((k) => k.kid)).toEqual(['new']);
      expect((await store().listKeys(at(150)))[1]).toEqual({
        kid: 'old',
        privateJwk: jwk,
        createdAt: at(0),
        supersededAt: at(100),
        retireAt: at(200),
      });
    });

    it('keeps provider records until they expire; finds them by uid and user code', async () => {
      await store().upsertPayload({
        kind: 'Interaction',
        id: 'i1',
        payload: { uid: 'u1', jti: 'i1' },
        uid: 'u1',
        expiresAt: at(60),
      });
      await store().upsertPayload({
        kind: 'DeviceCode',
        id: 'd1',
        payload: { userCode: 'ABCD' },
        userCode: 'ABCD',
        expiresAt: at(60),
      });
      expect(await store().findPayload('Interaction', 'i1', at(1))).toEqual({ uid: 'u1', jti: 'i1' });
      expect(await store().findPayloadBy('Interaction', 'uid', 'u1', at(1))).toEqual({
        uid: 'u1',
        jti: 'i1',
      });
      expect(await store().findPayloadBy('DeviceCode', 'userCode', 'ABCD', at(1))).toEqual({
        userCode: 'ABCD',
      });
      expect(await store().findPayload('Interaction', 'i1', at(60))).toBeUndefined();
      expect(await store().findPayload('Session', 'i1', at(1))).toBeUndefined();
      expect(await store().purgeExpired(at(60))).toBe(2);
    });

    it('consume marks the record; destroy removes it; revokeGrant removes every record of the grant', async () => {
      for (const [kind, id] of [
        ['AuthorizationCode', 'c1'],
        ['RefreshToken', 'r1'],
        ['AccessToken', 'a1'],
      ] as const) {
        await store().upsertPayload({
          kind,
          id,
          payload: { grantId: 'g1' },
          grantId: 'g1',
          expiresAt: at(600),
        });
      }
      await store().upsertPayload({
        kind: 'AccessToken',
        id: 'a2',
        payload: {},
        grantId: 'g2',
        expiresAt: at(600),
      });
      await store().consumePayload('AuthorizationCode', 'c1', at(5));
      expect(await store().findPayload('AuthorizationCode', 'c1', at(6))).toEqual({
        grantId: 'g1',
        consumed: 1767225605,
      });
      await store().destroyPayload('AccessToken', 'a1');
      expect(await store().findPayload('AccessToken', 'a1', at(6))).toBeUndefined();
      await store().revokeGrant('g1');
      expect(await store().findPayload('RefreshToken', 'r1', at(6))).toBeUndefined();
      expect(await store().findPayload('AuthorizationCode', 'c1', at(6))).toBeUndefined();
      expect(await store().findPayload('AccessToken', 'a2', at(6))).toEqual({});
    });

    it('lists the live records of one kind for an account (how a SAML logout finds its OpenID sessions)', async () => {
      const session = (id: string, accountId: string, expiresAt = at(600)) =>
        store().upsertPayload({ kind: 'Session', id, payload: { accountId }, accountId, expiresAt });
      await session('s1', 'alice');
      await session('s2', 'alice');
      await session('s3', 'bob');
      await session('s4', 'alice', at(10));
      await store().upsertPayload({
        kind: 'Grant',
        id: 'g',
        payload: { accountId: 'alice' },
        accountId: 'alice',
        expiresAt: at(600),
      });
      const found = await store().listPayloadsByAccount('Session', 'alice', at(20));
      expect(found.map((r) => r.id).sort()).toEqual(['s1', 's2']);
      expect(found[0]!.payload).toEqual({ accountId: 'alice' });
    });
  });
}
