/**
 * Large IdP metadata is read on a worker thread (src/sp/metadata-thread.ts, issue #16): the same facts and the
 * same refusals as on the calling thread, while the event loop keeps answering.
 */
import { describe, expect, it } from 'vitest';
import { SamlSpError } from '../../src/core/errors.ts';
import type { IdpCertificate } from '../../src/core/types.ts';
import { type ReadMetadataOptions, readMetadata } from '../../src/sp/connections.ts';
import { OFF_THREAD_ABOVE, readMetadataOffThread } from '../../src/sp/metadata-thread.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { aggregateEntityId, federationAggregateXml } from '../fixtures/federation-aggregate.ts';

const NOW = new Date('2027-01-01T00:00:00Z');
const pinned: IdpCertificate[] = [
  {
    pem: testKeyPair('idp-next').certificatePem,
    fingerprintSha256: '',
    subject: '',
    notBefore: '',
    notAfter: '',
  },
];
const unsigned = federationAggregateXml({ entities: 1_000 });
const signed = federationAggregateXml({ entities: 400, signed: true });
const options = (extra: Partial<ReadMetadataOptions> = {}): ReadMetadataOptions => ({
  now: NOW,
  idpEntityId: aggregateEntityId(100),
  maxBytes: 64 * 1024 * 1024,
  ...extra,
});

/** The refusal as the caller sees it: class, code, message, hint, details, status. */
async function refusal(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    const e = error as SamlSpError;
    return {
      saml: e instanceof SamlSpError,
      code: e.code,
      message: e.message,
      hint: e.hint,
      details: e.details,
      status: e.status,
    };
  }
  throw new Error('expected a refusal');
}

describe('readMetadataOffThread', () => {
  it('reads documents over the threshold, unsigned and signed, to the same facts as readMetadata', async () => {
    expect(unsigned.length).toBeGreaterThan(OFF_THREAD_ABOVE);
    expect(signed.length).toBeGreaterThan(OFF_THREAD_ABOVE);
    expect(await readMetadataOffThread(unsigned, options())).toEqual(readMetadata(unsigned, options()));
    const withPin = options({ pinned });
    const parsed = await readMetadataOffThread(signed, withPin);
    expect(parsed.signature?.algorithm).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(parsed).toEqual(readMetadata(signed, withPin));
  });

  it('refuses as readMetadata refuses: the same SamlSpError, code, message, hint and details', async () => {
    const cases: [string, ReadMetadataOptions][] = [
      [unsigned, options({ idpEntityId: 'https://not-in-the-feed.example/idp' })],
      [
        signed.replace('https://idp100.example.edu/idp/profile/SAML2/Redirect/SSO', 'https://evil.example/'),
        options({ pinned }),
      ],
      [unsigned, options({ maxBytes: 1024 * 1024 })],
    ];
    for (const [xml, opts] of cases) {
      const expected = await refusal(() => readMetadata(xml, opts));
      expect(expected).toMatchObject({ saml: true });
      expect(await refusal(() => readMetadataOffThread(xml, opts))).toEqual(expected);
    }
  });

  it('keeps the event loop turning while it reads a large document', async () => {
    let turns = 0;
    let reading = true;
    const spin = () => {
      if (!reading) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const read = readMetadataOffThread(signed, options({ pinned }));
    await read.finally(() => {
      reading = false;
    });
    // Read on this thread, the parse would run in one go and the loop would not turn at all meanwhile.
    expect(turns).toBeGreaterThan(10);
  });

  it('reads small metadata on the calling thread, with the same answer', async () => {
    const small = federationAggregateXml({ entities: 20 });
    expect(small.length).toBeLessThan(OFF_THREAD_ABOVE);
    expect(await readMetadataOffThread(small, options({ idpEntityId: aggregateEntityId(10) }))).toEqual(
      readMetadata(small, options({ idpEntityId: aggregateEntityId(10) })),
    );
  });
});
