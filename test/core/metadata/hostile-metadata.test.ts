/** Hostile or broken metadata uploads (issue #3): refused with a code, never a crash or a hang. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIdpMetadata } from '../../../src/core/metadata/idp-metadata.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/metadata/${name}`, import.meta.url), 'utf8');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'accepted';
}

describe('hostile metadata', () => {
  it('a 50 MB document is refused by size before parsing, quickly', () => {
    const huge = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><!--${'A'.repeat(50 * 1024 * 1024)}--></md:EntityDescriptor>`;
    const started = performance.now();
    expect(codeOf(() => parseIdpMetadata(huge))).toBe('SAML_MESSAGE_TOO_LARGE');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it.each([
    ['billion laughs', fixture('hostile-billion-laughs.xml'), 'SAML_DTD_FORBIDDEN'],
    ['external entity', fixture('hostile-xxe.xml'), 'SAML_DTD_FORBIDDEN'],
    ['a DOCTYPE without entities', '<!DOCTYPE x><x/>', 'SAML_DTD_FORBIDDEN'],
    ['JSON', '{"entityID":"https://idp"}', 'SAML_MALFORMED'],
    ['an HTML sign-in page', '<!doctype html><html><body>Sign in</body></html>', 'SAML_DTD_FORBIDDEN'],
    ['binary', '\u0000\u0001\u0002PK\u0003\u0004', 'SAML_MALFORMED'],
    ['empty', '', 'SAML_MALFORMED'],
    ['a PEM certificate', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', 'SAML_MALFORMED'],
    ['an RSS feed', '<rss version="2.0"><channel/></rss>', 'SAML_METADATA_INVALID'],
    [
      'unclosed XML',
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">',
      'SAML_MALFORMED',
    ],
  ])('%s', (_name, xml, code) => {
    expect(codeOf(() => parseIdpMetadata(xml))).toBe(code);
  });

  it('an aggregate of thousands of IdPs without a choice lists them instead of picking one', () => {
    const entity = (i: number) =>
      `<EntityDescriptor entityID="https://idp${i}.example"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`;
    const xml = `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">${Array.from({ length: 3000 }, (_, i) => entity(i)).join('')}</EntitiesDescriptor>`;
    try {
      parseIdpMetadata(xml);
      throw new Error('accepted');
    } catch (err) {
      expect((err as { code: string }).code).toBe('SAML_METADATA_INVALID');
      expect((err as { details: { entities: string[] } }).details.entities).toHaveLength(3000);
    }
  });
});
