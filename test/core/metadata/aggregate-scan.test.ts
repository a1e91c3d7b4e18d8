/**
 * Issue #16 item 6: a large aggregate is streamed and only the chosen entity becomes a DOM. The fast path must
 * read exactly what the whole-document DOM path reads (differential: same facts for every entity tried, same
 * refusals), and must stay as strict about the whole document: well-formedness anywhere, no DTD, the depth
 * cap, undefined entities, unbound prefixes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIdpMetadata } from '../../../src/core/metadata/idp-metadata.ts';
import { aggregateEntityId, federationAggregateXml } from '../../fixtures/federation-aggregate.ts';

const NOW = new Date('2026-12-02T00:00:00Z');
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/metadata/${name}`, import.meta.url), 'utf8');

/** 400 entities, about 600 KB: above the 256 KiB threshold, so the default takes the streaming path. */
const AGGREGATE = federationAggregateXml({ entities: 400 });
const LIMIT = 4 * 1024 * 1024;

const streamed = (xml: string, idpEntityId?: string) =>
  parseIdpMetadata(xml, {
    now: NOW,
    maxBytes: LIMIT,
    excerptAboveBytes: 0,
    ...(idpEntityId ? { idpEntityId } : {}),
  });
const whole = (xml: string, idpEntityId?: string) =>
  parseIdpMetadata(xml, {
    now: NOW,
    maxBytes: LIMIT,
    excerptAboveBytes: Number.POSITIVE_INFINITY,
    ...(idpEntityId ? { idpEntityId } : {}),
  });

function outcome(fn: () => unknown): unknown {
  try {
    const { excerpt: _excerpt, ...rest } = fn() as Record<string, unknown>;
    return rest;
  } catch (err) {
    const e = err as { code: string; message: string; details?: unknown };
    return { code: e.code, message: e.message, details: e.details };
  }
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

/** The aggregate with `text` put just before the last entity's end (far from the entity imported). */
function withTail(text: string): string {
  const at = AGGREGATE.lastIndexOf('</md:EntityDescriptor>');
  return AGGREGATE.slice(0, at) + text + AGGREGATE.slice(at);
}

describe('the streamed path reads what the whole DOM reads', () => {
  it('for IdPs at the start, middle and end, an SP, and an entity that is not there', () => {
    for (const id of [
      aggregateEntityId(0),
      aggregateEntityId(200),
      aggregateEntityId(398),
      aggregateEntityId(1),
      'https://nowhere.example/idp',
    ]) {
      expect(outcome(() => streamed(AGGREGATE, id))).toEqual(outcome(() => whole(AGGREGATE, id)));
    }
    expect(streamed(AGGREGATE, aggregateEntityId(200)).excerpt).toBeDefined();
  });

  it('without idpEntityId: the same refusal, listing every IdP in details but only ten in the hint', () => {
    const refusal = outcome(() => streamed(AGGREGATE));
    expect(refusal).toEqual(outcome(() => whole(AGGREGATE)));
    expect((refusal as { details: { entities: string[] } }).details.entities).toHaveLength(200);
    try {
      streamed(AGGREGATE, 'https://nowhere.example/idp');
    } catch (err) {
      expect((err as { hint: string }).hint).toContain('… and 190 more (details.entities)');
    }
  });

  it('nested EntitiesDescriptors: validUntil and cacheDuration of each enclosing one still count', () => {
    const nested = fixture('aggregate-two-idps.xml');
    for (const id of ['https://idp.uni-a.example/idp/shibboleth', 'https://idp.college-b.example/saml']) {
      const fast = streamed(nested, id);
      expect(outcome(() => fast)).toEqual(outcome(() => whole(nested, id)));
      expect(fast.facts.entityCount).toBe(3);
    }
    expect(streamed(nested, 'https://idp.uni-a.example/idp/shibboleth').validUntil).toBe(
      '2029-06-30T00:00:00.000Z',
    );
  });

  it('the stored excerpt parses to the same IdP facts', () => {
    const fast = streamed(AGGREGATE, aggregateEntityId(200));
    const again = parseIdpMetadata(fast.excerpt!, { now: NOW });
    const { facts: _f1, excerpt: _e1, ...a } = fast;
    const { facts: _f2, excerpt: _e2, ...b } = again;
    expect(b).toEqual(a);
    expect(fast.excerpt!.length).toBeLessThan(4000);
  });

  it("keeps the signature facts of a signed aggregate's root (for the lint; not verified without a pin)", () => {
    const signed = federationAggregateXml({ entities: 40, signed: true });
    const fast = streamed(signed, aggregateEntityId(20));
    expect(outcome(() => fast)).toEqual(outcome(() => whole(signed, aggregateEntityId(20))));
    expect(fast.facts).toMatchObject({
      signed: true,
      signatureAlgorithm: expect.stringContaining('rsa-sha256'),
    });
  });
});

describe('the streamed path stays strict about the whole document', () => {
  const wanted = aggregateEntityId(200);

  it('accepts the untouched aggregate', () => {
    expect(codeOf(() => streamed(AGGREGATE, wanted))).toBe('accepted');
  });

  it.each([
    ['an unclosed element far from the chosen entity', '<md:Extensions>', 'SAML_MALFORMED'],
    ['an undefined entity reference', '<md:Extensions>&nbsp;</md:Extensions>', 'SAML_MALFORMED'],
    ['an unbound prefix', '<x:Foo/>', 'SAML_MALFORMED'],
    ['a duplicate attribute', '<md:Extensions a="1" a="2"/>', 'SAML_MALFORMED'],
    [
      'nesting past the depth cap',
      `${'<md:Extensions>'.repeat(120)}${'</md:Extensions>'.repeat(120)}`,
      'SAML_XML_TOO_DEEP',
    ],
  ])('refuses %s', (_what, text, code) => {
    expect(codeOf(() => streamed(withTail(text), wanted))).toBe(code);
    // The whole-DOM path refuses it too.
    expect(codeOf(() => whole(withTail(text), wanted))).toBe(code);
  });

  it('refuses a DTD and text after the root', () => {
    const dtd = AGGREGATE.replace(
      '<md:EntitiesDescriptor',
      '<!DOCTYPE x [<!ENTITY a "b">]><md:EntitiesDescriptor',
    );
    expect(codeOf(() => streamed(dtd, wanted))).toBe('SAML_DTD_FORBIDDEN');
    expect(codeOf(() => streamed(`${AGGREGATE}<md:EntityDescriptor/>`, wanted))).toBe('SAML_MALFORMED');
    expect(codeOf(() => streamed(AGGREGATE.slice(0, -200), wanted))).toBe('SAML_MALFORMED');
  });

  it('a pinned signature is verified over the whole aggregate (no excerpt): a change anywhere is refused', () => {
    const signed = federationAggregateXml({ entities: 400, signed: true });
    const pinned = (xml: string) =>
      parseIdpMetadata(xml, {
        now: NOW,
        maxBytes: LIMIT,
        excerptAboveBytes: 0,
        idpEntityId: wanted,
        signature: {
          certificates: [
            readFileSync(new URL('../../fixtures/keys/idp-next.cert.pem', import.meta.url), 'utf8'),
          ],
        },
      });
    const result = pinned(signed);
    expect(result.excerpt).toBeUndefined();
    expect(result.entityId).toBe(wanted);
    expect(result.signature?.algorithm).toContain('rsa-sha256');
    // Another entity's endpoint moved: not the chosen IdP, but the signed document is no longer what was signed.
    const tampered = signed.replace(
      'https://idp398.example.edu/idp/profile/SAML2/POST/SSO',
      'https://evil.example/sso',
    );
    expect(tampered).not.toBe(signed);
    expect(codeOf(() => pinned(tampered))).toBe('SAML_SIGNATURE_INVALID');
  });
});
