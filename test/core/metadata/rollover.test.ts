/** Certificate rollover bookkeeping and xs:duration (issue #3). */
import { describe, expect, it } from 'vitest';
import { describeCertificate } from '../../../src/core/keys.ts';
import { parseXsDuration } from '../../../src/core/metadata/duration.ts';
import { DEFAULT_ROLLOVER_GRACE_MS, mergeCertificates } from '../../../src/core/metadata/rollover.ts';
import { testKeyPair } from '../sp-fixtures.ts';

const T0 = new Date('2027-01-01T00:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const cert = (name: 'idp' | 'idp-next') => describeCertificate(testKeyPair(name).certificatePem);

describe('mergeCertificates', () => {
  it('trusts a new certificate beside the old one and records when each was seen', () => {
    const first = mergeCertificates([], [cert('idp')], { now: T0 });
    expect(first.added).toEqual([cert('idp').fingerprintSha256]);
    const t1 = later(3600_000);
    const both = mergeCertificates(first.certificates, [cert('idp'), cert('idp-next')], { now: t1 });
    expect(both.added).toEqual([cert('idp-next').fingerprintSha256]);
    expect(both.certificates.map((c) => [c.firstSeenAt, c.lastSeenAt])).toEqual([
      [T0.toISOString(), t1.toISOString()],
      [t1.toISOString(), t1.toISOString()],
    ]);
  });

  it('keeps a certificate the IdP dropped for the grace period, then drops it', () => {
    const start = mergeCertificates([], [cert('idp'), cert('idp-next')], { now: T0 }).certificates;
    const t1 = later(60_000);
    const after = mergeCertificates(start, [cert('idp-next')], { now: t1 });
    expect(after.retained).toEqual([cert('idp').fingerprintSha256]);
    expect(after.certificates.map((c) => c.fingerprintSha256)).toEqual([
      cert('idp-next').fingerprintSha256,
      cert('idp').fingerprintSha256,
    ]);
    expect(after.certificates[1]?.lastSeenAt).toBe(T0.toISOString());
    const expiredGrace = mergeCertificates(after.certificates, [cert('idp-next')], {
      now: later(DEFAULT_ROLLOVER_GRACE_MS),
    });
    expect(expiredGrace.dropped).toEqual([cert('idp').fingerprintSha256]);
    expect(expiredGrace.certificates).toHaveLength(1);
  });

  it('never keeps an expired certificate, and counts legacy certificates as seen until now', () => {
    const expired = { ...cert('idp'), notAfter: '2026-12-31T00:00:00.000Z' };
    expect(mergeCertificates([expired], [cert('idp-next')], { now: T0 }).dropped).toEqual([
      expired.fingerprintSha256,
    ]);
    const legacy = mergeCertificates([cert('idp')], [cert('idp-next')], { now: T0 });
    expect(legacy.retained).toHaveLength(1);
    expect(legacy.certificates[1]?.lastSeenAt).toBe(T0.toISOString());
  });
});

describe('parseXsDuration', () => {
  it.each([
    ['PT6H', 6 * 3600_000],
    ['PT1H30M', 5400_000],
    ['P1D', 86_400_000],
    ['P0Y0M1DT0H0M0.5S', 86_400_500],
    ['PT0S', 0],
  ])('%s', (text, ms) => expect(parseXsDuration(text)).toBe(ms));

  it.each(['', 'P', 'PT', '-PT1H', 'PT1X', '6h', 'P1.5.5D'])('refuses %j', (text) =>
    expect(parseXsDuration(text)).toBeUndefined(),
  );
});
