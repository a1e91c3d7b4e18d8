/**
 * Namespaces in XML 1.0 §6.3: no element has two attributes with the same expanded name. xmldom refuses a
 * repeated qualified name but kept only one of `a:q` and `b:q` when `a` and `b` are bound to the same
 * namespace; libxml2 (xmlsec, Shibboleth) refuses the document. parseXml refuses it too, so that no reader of
 * ours sees another document than a C-stack verifier would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SamlSpError } from '../../../src/core/errors.ts';
import { parseXml } from '../../../src/core/xml/parse.ts';

function refusal(xml: string): SamlSpError {
  try {
    parseXml(xml);
  } catch (error) {
    if (error instanceof SamlSpError) return error;
    throw error;
  }
  throw new Error('parseXml accepted the document');
}

/**
 * What two C parsers say of the document: libxml2 (xmllint, Debian's libxml2-utils) reports a namespace
 * error (recoverable for libxml2, so its exit status stays 0; xmlsec refuses on it), expat (Python's
 * pyexpat) refuses. Both are installed by .ci/run.
 */
function cParsers(xml: string): { libxml2Error: boolean; expatRefuses: boolean } {
  const dir = mkdtempSync(path.join(tmpdir(), 'expanded-names-'));
  try {
    const file = path.join(dir, 'doc.xml');
    writeFileSync(file, xml);
    const lint = spawnSync('xmllint', ['--noout', file], { encoding: 'utf8' });
    if (lint.error)
      throw new Error(`xmllint did not run (apt-get install libxml2-utils): ${lint.error.message}`);
    const expat = spawnSync(
      'python3',
      [
        '-c',
        'import sys, xml.parsers.expat as e; e.ParserCreate(namespace_separator=" ").Parse(open(sys.argv[1], "rb").read(), True)',
        file,
      ],
      { encoding: 'utf8' },
    );
    if (expat.error) throw new Error(`python3 did not run: ${expat.error.message}`);
    return { libxml2Error: lint.stderr.includes('error'), expatRefuses: expat.status !== 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('attributes with the same expanded name', () => {
  const twoPrefixes = '<r xmlns:a="urn:x" xmlns:b="urn:x"><e a:q="1" b:q="2"/></r>';

  it('are refused as SAML_MALFORMED, naming the attribute and the element', () => {
    const error = refusal(twoPrefixes);
    expect(error.code).toBe('SAML_MALFORMED');
    expect(error.message).toContain('b:q');
    expect(error.message).toContain('<e>');
  });

  it('are refused on the root element and among many attributes', () => {
    expect(refusal('<r xmlns:a="urn:x" xmlns:b="urn:x" a:id="1" b:id="2"/>').code).toBe('SAML_MALFORMED');
    const many = Array.from({ length: 40 }, (_, i) => `a:n${i}="${i}"`).join(' ');
    expect(refusal(`<r xmlns:a="urn:x" xmlns:b="urn:x" ${many} b:n39="x"/>`).code).toBe('SAML_MALFORMED');
  });

  it('accepts the same local name in different namespaces, and a prefixed and an unprefixed one', () => {
    const doc = parseXml('<r xmlns:a="urn:x" xmlns:b="urn:y"><e a:q="1" b:q="2" q="3"/></r>');
    const e = doc.documentElement!.firstChild as unknown as { attributes: { length: number } };
    expect(e.attributes.length).toBe(3);
    // A prefix declared on the element itself and used there is one expanded name per attribute, too.
    expect(parseXml('<r xmlns:a="urn:x" a:q="1" xmlns:b="urn:x"/>').documentElement!.attributes.length).toBe(
      3,
    );
  });

  it('agrees with libxml2 and expat', () => {
    expect(cParsers(twoPrefixes)).toEqual({ libxml2Error: true, expatRefuses: true });
    expect(cParsers('<r xmlns:a="urn:x" xmlns:b="urn:y"><e a:q="1" b:q="2" q="3"/></r>')).toEqual({
      libxml2Error: false,
      expatRefuses: false,
    });
  });
});
