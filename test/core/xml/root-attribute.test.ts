/**
 * rootAttribute (src/core/xml/parse.ts): one unqualified attribute of the root element, read by parseXml's
 * strict reader without building a tree (the test sign-in router reads a response's unverified InResponseTo
 * with it at every ACS request). Wherever parseXml accepts a document, rootAttribute must give what the DOM's
 * root holds; it refuses what comes before the root's end of start tag as parseXml does.
 */
import { describe, expect, it } from 'vitest';
import { SamlSpError } from '../../../src/core/errors.ts';
import { parseXml, rootAttribute } from '../../../src/core/xml/parse.ts';
import { logoutSeeds, metadataSeeds, responseSeeds } from '../../fuzz/seeds.ts';
import { CASES } from './xml-corpus.ts';

const NAMES = ['InResponseTo', 'ID', 'Destination', 'a', 'x', 'Version'];

/** The attribute as the DOM's root has it: an unqualified attribute (no namespace) of that local name. */
function fromDom(xml: string, name: string): string | undefined {
  const root = parseXml(xml).documentElement;
  if (!root) return undefined;
  for (let i = 0; i < root.attributes.length; i++) {
    const a = root.attributes.item(i);
    if (a && a.name === name && a.namespaceURI === null) return a.value;
  }
  return undefined;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof SamlSpError ? error.code : `not coded: ${String(error)}`;
  }
}

describe('rootAttribute', () => {
  it('agrees with the DOM root on every document parseXml accepts (corpus and fuzz seeds)', async () => {
    const documents = [
      ...Object.values(CASES),
      ...(await responseSeeds()).map((s) => s.xml),
      ...logoutSeeds().map((s) => s.xml),
      ...metadataSeeds().map((s) => s.xml),
      '<a x="1&amp;2" a="&#x41;\tb"/>',
      '<p:r xmlns:p="urn:p" p:InResponseTo="qualified" InResponseTo="plain"/>',
    ];
    let compared = 0;
    for (const xml of documents) {
      if (codeOf(() => parseXml(xml)) !== undefined) continue;
      for (const name of NAMES)
        expect(rootAttribute(xml, name), `${name} of ${xml.slice(0, 80)}`).toBe(fromDom(xml, name));
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('reads an unqualified attribute only, values normalised as the DOM has them', () => {
    expect(rootAttribute('<p:r xmlns:p="urn:p" p:InResponseTo="q"/>', 'InResponseTo')).toBeUndefined();
    expect(rootAttribute('<r a="x&#10;y\tz&lt;"/>', 'a')).toBe('x\ny z<');
    expect(rootAttribute('\uFEFF<?xml version="1.0"?><!-- c --><r a="1"><b a="2"/></r>', 'a')).toBe('1');
  });

  it('refuses what parseXml refuses before the end of the root start tag, with the same code', () => {
    const refused = [
      '<!DOCTYPE r [<!ENTITY e "x">]><r a="&e;"/>',
      '<?php x?><r a="1"/>',
      '<p:r a="1"/>',
      '<r a="1" a="2"/>',
      '<r a="<"/>',
      '<r a="&bogus;"/>',
      'text<r a="1"/>',
    ];
    for (const xml of refused) {
      const code = codeOf(() => parseXml(xml));
      expect(code, xml).toBeDefined();
      expect(
        codeOf(() => rootAttribute(xml, 'a')),
        xml,
      ).toBe(code);
    }
  });

  it('stops after the root start tag: what follows is not judged (the caller trusts nothing it reads)', () => {
    expect(rootAttribute('<r a="1"><unclosed></r>', 'a')).toBe('1');
    expect(codeOf(() => parseXml('<r a="1"><unclosed></r>'))).toBe('SAML_MALFORMED');
  });

  it('refuses oversized input before reading it', () => {
    expect(codeOf(() => rootAttribute(`<r a="${'x'.repeat(2000)}"/>`, 'a', { maxBytes: 1000 }))).toBe(
      'SAML_MESSAGE_TOO_LARGE',
    );
  });
});
