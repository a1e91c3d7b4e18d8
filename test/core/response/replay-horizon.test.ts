/**
 * Issue #9 item 5: `notOnOrAfter` of a validated assertion (how long the replay cache keeps it) is the latest
 * instant any of its checks would still accept it: the latest bearer confirmation that could pass, capped by
 * Conditions NotOnOrAfter, plus the clock skew. Before, it was the first accepted confirmation's, so once that
 * one expired a second confirmation accepted the same assertion again while the cache had forgotten it.
 */
import { describe, expect, it } from 'vitest';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { buildResponse, buildValidateOptions, FIXED_NOW } from '../../fixtures/build-response.ts';

const at = (seconds: number) => new Date(FIXED_NOW.getTime() + seconds * 1000);
const SKEW = 120;

describe('the replay horizon', () => {
  it('is the latest passing bearer confirmation plus skew, not the first', async () => {
    const result = await validateResponse(
      await buildResponse({
        subjectNotOnOrAfter: at(60),
        extraConfirmations: [{ notOnOrAfter: at(3600) }],
        notOnOrAfter: at(7200),
      }),
      buildValidateOptions(),
    );
    expect(result.notOnOrAfter).toEqual(at(3600 + SKEW));
  });

  it('is capped by Conditions NotOnOrAfter', async () => {
    const result = await validateResponse(
      await buildResponse({
        subjectNotOnOrAfter: at(60),
        extraConfirmations: [{ notOnOrAfter: at(3600) }],
        notOnOrAfter: at(600),
      }),
      buildValidateOptions(),
    );
    expect(result.notOnOrAfter).toEqual(at(600 + SKEW));
  });

  it('counts a confirmation that is not yet valid but will accept later', async () => {
    const result = await validateResponse(
      await buildResponse({
        subjectNotOnOrAfter: at(60),
        extraConfirmations: [{ notBefore: at(600), notOnOrAfter: at(1800) }],
        notOnOrAfter: null,
      }),
      buildValidateOptions(),
    );
    expect(result.notOnOrAfter).toEqual(at(1800 + SKEW));
  });

  it('ignores a confirmation for another ACS URL, which never accepts', async () => {
    const result = await validateResponse(
      await buildResponse({
        subjectNotOnOrAfter: at(60),
        extraConfirmations: [{ notOnOrAfter: at(3600), recipient: 'https://other.example/acs' }],
        notOnOrAfter: null,
      }),
      buildValidateOptions(),
    );
    expect(result.notOnOrAfter).toEqual(at(60 + SKEW));
  });

  it('covers every instant at which the same response is accepted again', async () => {
    const samlResponse = await buildResponse({
      inResponseTo: null,
      subjectNotOnOrAfter: at(60),
      extraConfirmations: [{ notOnOrAfter: at(3600) }],
      notOnOrAfter: at(3600),
    });
    const options = buildValidateOptions({ policy: { allowIdpInitiated: true }, expectedRequestIds: [] });
    const first = await validateResponse(samlResponse, options);
    // Ten minutes later the first confirmation has expired; the second still accepts the assertion.
    const later = await validateResponse(samlResponse, { ...options, now: at(600) });
    expect(later.assertionId).toBe(first.assertionId);
    expect(first.notOnOrAfter.getTime()).toBeGreaterThan(at(600).getTime());
  });
});
