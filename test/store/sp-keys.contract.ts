/** The SpKeyStore contract (the SP key ring, migration 9): every adapter must pass it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SpKeyRecord, SpKeyStore } from '../../src/store/sp-keys.ts';
import { at, type Factory, useStore } from './harness.ts';

const CERT = readFileSync(new URL('../fixtures/keys/sp.cert.pem', import.meta.url), 'utf8');

function key(overrides: Partial<SpKeyRecord> = {}): SpKeyRecord {
  return {
    id: 'signing-1',
    use: 'signing',
    state: 'next',
    certificatePem: CERT,
    keyRef: 'file:/etc/saml-sp/keys/signing-1.key.pem',
    createdAt: at(1),
    ...overrides,
  };
}

export function spKeyStoreContract(name: string, factory: Factory<SpKeyStore>): void {
  describe(`SpKeyStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('is empty at first', async () => {
      expect(await store().list()).toEqual([]);
      expect(await store().get('signing-1')).toBeUndefined();
      expect(await store().lastMetadataFetch('acme')).toBeUndefined();
    });

    it('version: stays while nothing changes, moves with every put that changes a record', async () => {
      const version = () => {
        if (!store().version) throw new Error(`${name} must provide version`);
        return store().version!();
      };
      const empty = await version();
      expect(await version()).toBe(empty);
      await store().put(key());
      const one = await version();
      expect(one).not.toBe(empty);
      expect(await version()).toBe(one);
      await store().put(key({ state: 'active', activatedAt: at(5) }));
      const promoted = await version();
      expect(promoted).not.toBe(one);
      await store().recordMetadataFetch('acme', { at: at(6), by: '127.0.0.1' });
      expect(await version()).toBe(promoted);
    });

    it('keeps a record exactly, global or per connection, optional dates absent', async () => {
      await store().put(key());
      await store().put(key({ id: 'enc-acme', use: 'encryption', connectionId: 'acme', createdAt: at(2) }));
      expect(await store().get('signing-1')).toEqual(key());
      const acme = await store().get('enc-acme');
      expect(acme).toEqual(
        key({ id: 'enc-acme', use: 'encryption', connectionId: 'acme', createdAt: at(2) }),
      );
      expect(acme && 'activatedAt' in acme).toBe(false);
      expect((await store().list()).map((k) => k.id)).toEqual(['signing-1', 'enc-acme']);
    });

    it('replaces a record by id: promote then retire keep every date', async () => {
      await store().put(key());
      await store().put(key({ state: 'active', activatedAt: at(10) }));
      await store().put(key({ state: 'retired', activatedAt: at(10), retiredAt: at(20) }));
      expect(await store().list()).toEqual([
        key({ state: 'retired', activatedAt: at(10), retiredAt: at(20) }),
      ]);
    });

    it('lists oldest first, ties by id', async () => {
      await store().put(key({ id: 'b', createdAt: at(5) }));
      await store().put(key({ id: 'c', createdAt: at(1) }));
      await store().put(key({ id: 'a', createdAt: at(5) }));
      expect((await store().list()).map((k) => k.id)).toEqual(['c', 'a', 'b']);
    });

    it('returns copies: changing a returned record changes nothing stored', async () => {
      await store().put(key());
      const got = (await store().get('signing-1'))!;
      got.state = 'retired';
      got.createdAt.setTime(0);
      expect(await store().get('signing-1')).toEqual(key());
    });

    it('keeps the last metadata fetch per connection, its text clipped', async () => {
      await store().recordMetadataFetch('acme', { at: at(1), by: '10.0.0.1 Okta' });
      await store().recordMetadataFetch('acme', { at: at(2), by: `10.0.0.2 ${'x'.repeat(1000)}` });
      await store().recordMetadataFetch('globex', { at: at(3), by: 'Keycloak' });
      const acme = await store().lastMetadataFetch('acme');
      expect(acme?.at).toEqual(at(2));
      expect(acme?.by.startsWith('10.0.0.2 x')).toBe(true);
      expect(acme?.by.length).toBeLessThanOrEqual(300);
      expect(await store().lastMetadataFetch('globex')).toEqual({ at: at(3), by: 'Keycloak' });
    });
  });
}
