/** The ConnectionStore contract: every adapter must pass it. */
import { describe, expect, it } from 'vitest';
import type { ConnectionStore } from '../../src/store/types.ts';
import { buildConnection, type Factory, useStore } from './harness.ts';

export function connectionStoreContract(name: string, factory: Factory<ConnectionStore>): void {
  describe(`ConnectionStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('round-trips a connection with every optional field', async () => {
      const connection = buildConnection({
        requestedNameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        spEntityId: 'https://sp.test/acme',
        metadataXml: '<EntityDescriptor/>',
        metadataUrl: 'https://idp.acme.test/metadata',
        sloEndpoints: [
          { binding: 'post', location: 'https://idp.acme.test/slo', responseLocation: 'https://x/r' },
        ],
      });
      await store().put(connection);
      expect(await store().get('acme')).toEqual(connection);
    });

    it('round-trips the metadata size limit and the aggregate it came from (issue #16)', async () => {
      const base = buildConnection();
      const connection = buildConnection({
        policy: { ...base.policy, metadataMaxBytes: 64 * 1024 * 1024 },
        metadataStatus: {
          source: 'url',
          importedAt: '2026-12-02T00:00:00.000Z',
          changedAt: '2026-12-02T00:00:00.000Z',
          sha256: 'a'.repeat(64),
          aggregate: { bytes: 15_030_612, entityCount: 10_000 },
          facts: { byteOrderMark: false, entityCount: 10_000, otherRoles: [], signed: false },
          notes: [],
          consecutiveFailures: 0,
        },
      });
      await store().put(connection);
      const read = await store().get('acme');
      expect(read?.policy.metadataMaxBytes).toBe(64 * 1024 * 1024);
      expect(read?.metadataStatus?.aggregate).toEqual({ bytes: 15_030_612, entityCount: 10_000 });
      expect(read).toEqual(connection);
    });

    it('getIfChanged: the connection and a version, then "unchanged" until any edit, on any field', async () => {
      const getIfChanged = store().getIfChanged?.bind(store());
      if (!getIfChanged) throw new Error(`${name} must provide getIfChanged`);
      expect(await getIfChanged('acme', undefined)).toBeUndefined();
      await store().put(buildConnection());
      const first = await getIfChanged('acme', undefined);
      if (first === undefined || first === 'unchanged') throw new Error('expected the connection');
      expect(first.connection).toEqual(buildConnection());
      expect(await getIfChanged('acme', first.version)).toBe('unchanged');
      expect(await getIfChanged('acme', 'some other version')).toEqual(first);
      // The same updatedAt: the version follows the content, not the timestamp an editor may forget to move.
      await store().put(buildConnection({ displayName: 'Acme Corp.' }));
      const second = await getIfChanged('acme', first.version);
      if (second === undefined || second === 'unchanged') throw new Error('expected the changed connection');
      expect(second.connection.displayName).toBe('Acme Corp.');
      expect(second.version).not.toBe(first.version);
      expect(await getIfChanged('acme', second.version)).toBe('unchanged');
      await store().delete('acme');
      expect(await getIfChanged('acme', second.version)).toBeUndefined();
    });

    it('put replaces by id', async () => {
      await store().put(buildConnection());
      await store().put(buildConnection({ displayName: 'Acme Renamed', preset: 'entra' }));
      const all = await store().list();
      expect(all).toHaveLength(1);
      expect(all[0]?.displayName).toBe('Acme Renamed');
      expect(all[0]?.preset).toBe('entra');
    });

    it('lists by id', async () => {
      for (const id of ['globex', 'acme', 'initech']) await store().put(buildConnection({ id }));
      expect((await store().list()).map((c) => c.id)).toEqual(['acme', 'globex', 'initech']);
    });

    it('delete reports whether there was a connection', async () => {
      await store().put(buildConnection());
      expect(await store().delete('acme')).toBe(true);
      expect(await store().delete('acme')).toBe(false);
      expect(await store().get('acme')).toBeUndefined();
      expect(await store().list()).toEqual([]);
    });

    it('returns copies: mutating a result does not change the store', async () => {
      const connection = buildConnection();
      await store().put(connection);
      connection.displayName = 'changed after put';
      const read = await store().get('acme');
      if (read === undefined) throw new Error('missing');
      read.signingCertificates.length = 0;
      const again = await store().get('acme');
      expect(again?.displayName).toBe('Acme Corp');
      expect(again?.signingCertificates).toHaveLength(1);
    });
  });
}
