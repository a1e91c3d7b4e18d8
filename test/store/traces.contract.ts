/** The TraceStore contract: every adapter that provides one must pass it. */
import { describe, expect, it } from 'vitest';
import type { SignInTrace, TraceStore } from '../../src/store/traces.ts';
import { at, type Factory, useStore } from './harness.ts';

export function buildTrace(overrides: Partial<SignInTrace> = {}): SignInTrace {
  return {
    traceId: 'K7QM4-XD2PA',
    kind: 'acs',
    at: at(10),
    connectionId: 'acme',
    connectionName: 'Acme Corp',
    outcome: 'failed',
    verified: true,
    errorCode: 'SAML_AUDIENCE_MISMATCH',
    message: 'Audience mismatch.',
    hint: 'Check the SP entity ID at the IdP.',
    failedCheck: 'audience',
    checks: [
      { check: 'size', status: 'pass' },
      { check: 'audience', status: 'fail', detail: 'SAML_AUDIENCE_MISMATCH: Audience mismatch.' },
      { check: 'attributes', status: 'skip', detail: 'not run: an earlier check failed' },
    ],
    idpIssuer: 'https://idp.acme.test/metadata',
    nameId: 'alice@acme.test',
    attributeNames: ['email', 'groups'],
    clientIp: '203.0.113.7',
    userAgent: 'Mozilla/5.0',
    ...overrides,
  };
}

export function traceStoreContract(name: string, factory: Factory<TraceStore>): void {
  describe(`TraceStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('keeps a trace whole and finds it by its ID', async () => {
      const trace = buildTrace({ rawMessage: { keyId: 'ab12', sealed: 'c2VhbGVk' } });
      await store().put(trace);
      expect(await store().get(trace.traceId)).toEqual(trace);
      expect(await store().get('NOPE0-NOPE0')).toBeUndefined();
    });

    it('keeps the first write when an ID comes twice', async () => {
      await store().put(buildTrace());
      await store().put(buildTrace({ outcome: 'succeeded', errorCode: 'OTHER' }));
      expect((await store().get('K7QM4-XD2PA'))?.errorCode).toBe('SAML_AUDIENCE_MISMATCH');
    });

    it('lists newest first, filtered by connection and outcome, within the limit', async () => {
      await store().put(buildTrace({ traceId: 'AAAAA-00001', at: at(1), outcome: 'succeeded' }));
      await store().put(buildTrace({ traceId: 'AAAAA-00002', at: at(2) }));
      await store().put(buildTrace({ traceId: 'AAAAA-00003', at: at(3), connectionId: 'globex' }));
      await store().put(buildTrace({ traceId: 'AAAAA-00004', at: at(4) }));
      const ids = (traces: SignInTrace[]) => traces.map((t) => t.traceId);
      expect(ids(await store().list())).toEqual(['AAAAA-00004', 'AAAAA-00003', 'AAAAA-00002', 'AAAAA-00001']);
      expect(ids(await store().list({ connectionId: 'acme', outcome: 'failed' }))).toEqual([
        'AAAAA-00004',
        'AAAAA-00002',
      ]);
      expect(ids(await store().list({ outcome: 'succeeded' }))).toEqual(['AAAAA-00001']);
      expect(ids(await store().list({ limit: 1 }))).toEqual(['AAAAA-00004']);
    });

    it('purges by age, then the oldest beyond the cap', async () => {
      for (let i = 1; i <= 6; i++)
        await store().put(buildTrace({ traceId: `BBBBB-0000${i}`, at: at(i * 100) }));
      expect(await store().purge({ olderThan: at(150), maxCount: 1000 })).toBe(1);
      expect(await store().purge({ olderThan: at(0), maxCount: 3 })).toBe(2);
      expect((await store().list()).map((t) => t.traceId)).toEqual([
        'BBBBB-00006',
        'BBBBB-00005',
        'BBBBB-00004',
      ]);
      expect(await store().purge({ olderThan: at(0), maxCount: 3 })).toBe(0);
    });

    it('writes a batch with putMany, keeping the first write of an ID', async () => {
      const putMany = store().putMany?.bind(store());
      if (!putMany) return;
      await store().put(buildTrace({ traceId: 'CCCCC-00001', at: at(1) }));
      await putMany([
        buildTrace({ traceId: 'CCCCC-00001', at: at(1), errorCode: 'OTHER' }),
        buildTrace({ traceId: 'CCCCC-00002', at: at(2), outcome: 'succeeded' }),
        buildTrace({ traceId: 'CCCCC-00003', at: at(3), rawMessage: { keyId: 'ab12', sealed: 'c2VhbGVk' } }),
      ]);
      await putMany([]);
      expect((await store().get('CCCCC-00001'))?.errorCode).toBe('SAML_AUDIENCE_MISMATCH');
      expect(await store().get('CCCCC-00003')).toEqual(
        buildTrace({ traceId: 'CCCCC-00003', at: at(3), rawMessage: { keyId: 'ab12', sealed: 'c2VhbGVk' } }),
      );
      expect((await store().list()).map((t) => t.traceId)).toEqual([
        'CCCCC-00003',
        'CCCCC-00002',
        'CCCCC-00001',
      ]);
    });

    it('returns copies', async () => {
      await store().put(buildTrace());
      const read = await store().get('K7QM4-XD2PA');
      if (!read) throw new Error('missing');
      read.checks[0]!.status = 'fail';
      read.attributeNames.push('x');
      expect((await store().get('K7QM4-XD2PA'))?.checks[0]?.status).toBe('pass');
    });
  });
}
