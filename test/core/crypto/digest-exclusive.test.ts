/**
 * digestExclusive (src/core/crypto/exc-c14n.ts) hashes the canonical form in pieces as it is produced, so that
 * a 15 MB federation aggregate is never one string (issue #16, item 6). Its digest must be the digest of
 * canonicalizeExclusive's bytes, whatever the size: one piece for a SAML message, hundreds for an aggregate, a
 * piece boundary next to multi-byte characters (UTF-8 of a string cut inside a surrogate pair would differ),
 * with the enveloped Signature left out and with an InclusiveNamespaces PrefixList.
 */
import { createHash } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import {
  canonicalizeExclusive,
  digestExclusive,
  type ExcC14nOptions,
} from '../../../src/core/crypto/exc-c14n.ts';
import { NS } from '../../../src/core/xml/namespaces.ts';
import { parseXml } from '../../../src/core/xml/parse.ts';
import { buildResponseXml } from '../../fixtures/build-response.ts';
import { federationAggregateXml } from '../../fixtures/federation-aggregate.ts';

const LIMIT = 64 * 1024 * 1024;

function rootOf(xml: string): Element {
  return parseXml(xml, { maxBytes: LIMIT, allowProcessingInstructions: true }).documentElement!;
}

/** Both digests of one element, with the same options, for every algorithm a signature may name. */
function bothDigests(element: Element, options: ExcC14nOptions = {}) {
  const bytes = canonicalizeExclusive(element, options);
  return ['sha256', 'sha512', 'sha1'].map((algorithm) => ({
    algorithm,
    whole: createHash(algorithm).update(bytes, 'utf8').digest('hex'),
    streamed: digestExclusive(element, options, algorithm).toString('hex'),
    size: bytes.length,
  }));
}

describe('digestExclusive: the digest of canonicalizeExclusive, in pieces', () => {
  it('on a signed SAML Response (one piece), with the Signature excluded', async () => {
    const xml = await buildResponseXml({ sign: 'both' });
    const root = rootOf(xml);
    const signature = [...childElementsOf(root)].find((e) => e.namespaceURI === NS.dsig)!;
    expect(signature).toBeDefined();
    for (const d of bothDigests(root, { exclude: signature })) expect(d.streamed).toBe(d.whole);
  });

  it('on a signed federation aggregate of 400 entities (many pieces), Signature excluded', () => {
    const root = rootOf(federationAggregateXml({ entities: 400, signed: true }));
    const signature = [...childElementsOf(root)].find((e) => e.localName === 'Signature')!;
    const digests = bothDigests(root, { exclude: signature });
    // Well over the 64 Ki-unit piece: this really is hashed in several pieces.
    expect(digests[0]!.size).toBeGreaterThan(8 * 64 * 1024);
    for (const d of digests) expect(d.streamed).toBe(d.whole);
  });

  it('with multi-byte characters at every offset around the piece boundaries, and a PrefixList', () => {
    // Text runs of 2-byte, 3-byte and astral (surrogate pair) characters, ending with a pair, sized so that the
    // piece boundaries fall at many different offsets relative to them.
    const texts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      texts.push(`<x:t xmlns:x="urn:x" n="${i}">${'a'.repeat(i % 7)}${'é€😀'.repeat(1 + (i % 13))}</x:t>`);
    }
    const root = rootOf(`<r xmlns="urn:r" xmlns:keep="urn:keep">${texts.join('')}</r>`);
    for (const d of bothDigests(root, { prefixList: ['keep', '#default'] })) {
      expect(d.size).toBeGreaterThan(2 * 64 * 1024);
      expect(d.streamed).toBe(d.whole);
    }
  });

  it('refuses, as canonicalizeExclusive does, a node to exclude that is not inside the element', async () => {
    const root = rootOf(await buildResponseXml({}));
    const outside = rootOf('<other/>');
    expect(() => digestExclusive(root, { exclude: outside }, 'sha256')).toThrow(/not inside/);
  });
});

function* childElementsOf(element: Element): Generator<Element> {
  for (let n = element.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) yield n as Element;
}
