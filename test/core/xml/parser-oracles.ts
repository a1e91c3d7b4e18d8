/**
 * The references parseXml's reader (src/core/xml/tokenizer.ts + dom-builder.ts) is held against:
 * - stock xmldom (`new DOMParser().parseFromString`), for the tree: every node's type, names, namespace,
 *   prefix, value, every attribute in order with its owner, the child lists against the sibling links, and
 *   each element's namespace map;
 * - libxml2 (`xmllint --noout --nonet`, Debian's libxml2-utils, installed by .ci/run), for the verdict:
 *   the parser xmlsec1 and Shibboleth use. Its namespace errors are "recoverable" for libxml2 (exit status 0,
 *   a "namespace error" on stderr), but xmlsec refuses on them, so they count as a refusal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { expect } from 'vitest';
import { SamlSpError } from '../../../src/core/errors.ts';
import {
  assertSafeXmlText,
  MAX_XML_DEPTH_LIMIT,
  parseXml,
  textContentOf,
} from '../../../src/core/xml/parse.ts';

export type Outcome = { tree: unknown } | { refused: string };

export const LIMITS = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: MAX_XML_DEPTH_LIMIT,
  allowProcessingInstructions: true,
};

/** Every observable property of the tree, and the consistency of its links. */
export function describeTree(doc: Document): unknown {
  const walk = (node: Node): unknown => {
    const n = node as Node & Record<string, unknown>;
    expect(n.ownerDocument === doc || node === (doc as Node)).toBe(true);
    const children: unknown[] = [];
    let i = 0;
    let previous: Node | null = null;
    for (let c = node.firstChild; c; c = c.nextSibling) {
      expect(c.parentNode).toBe(node);
      expect(c.previousSibling).toBe(previous);
      expect(node.childNodes.item(i)).toBe(c);
      children.push(walk(c));
      previous = c;
      i++;
    }
    expect(node.lastChild).toBe(previous);
    expect(node.childNodes.length).toBe(i);
    const base = { type: node.nodeType, name: node.nodeName, value: node.nodeValue, children };
    if (node.nodeType === 9) {
      const d = node as Document;
      return { ...base, contentType: d.contentType, documentElement: d.documentElement?.nodeName ?? null };
    }
    if (node.nodeType !== 1) return { ...base, data: n.data ?? null, length: n.length ?? null };
    const el = node as Element & { _nsMap: Record<string, string> };
    // textContentOf (parse.ts) shortcuts textContent for leaf elements: it must agree everywhere.
    expect(textContentOf(el)).toBe(el.textContent);
    const attributes: unknown[] = [];
    for (let a = 0; a < el.attributes.length; a++) {
      const attr = el.attributes.item(a)!;
      expect(attr.ownerElement).toBe(el);
      expect(attr.ownerDocument).toBe(doc);
      expect(el.getAttributeNodeNS(attr.namespaceURI, attr.localName!)).toBe(attr);
      attributes.push([
        attr.name,
        attr.namespaceURI,
        attr.prefix,
        attr.localName,
        attr.value,
        attr.nodeValue,
      ]);
    }
    return {
      ...base,
      tagName: el.tagName,
      namespaceURI: el.namespaceURI,
      prefix: el.prefix,
      localName: el.localName,
      attributes,
      nsMap: { ...el._nsMap },
    };
  };
  return walk(doc);
}

function unmarked(xml: string): string {
  return xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
}

/**
 * parseXml's verdict and tree (refusals by code: the messages are ours, not xmldom's). With `readerAlone`,
 * as validateResponse calls it (`alreadyChecked`: the size, DTD and character scans of assertSafeXmlText
 * skipped), so that only the reader's own checks decide.
 */
export function ours(xml: string, readerAlone = false): Outcome {
  try {
    return { tree: describeTree(parseXml(xml, readerAlone ? { ...LIMITS, alreadyChecked: true } : LIMITS)) };
  } catch (err) {
    if (err instanceof SamlSpError) return { refused: err.code };
    throw err;
  }
}

/**
 * Stock xmldom, with parseXml's verdict rules (a warning or error is fatal, the character and DTD checks
 * first), and XML 1.0's line-end normalisation: xmldom also turns U+0085, U+2028 and U+2029 into LF (XML 1.1
 * rules), which XML 1.0, libxml2 and parseXml do not.
 */
export function reference(xml: string): Outcome {
  const stock = stockVerdict(xml);
  return 'refused' in stock ? stock : { tree: describeTree(stock.doc) };
}

/**
 * Stock xmldom's verdict, with the rules of {@link reference}, without describing its tree: where parseXml
 * refuses, only the verdicts are compared, and a tree stock xmldom builds past parseXml's depth cap (a fuzzed
 * nesting thousands deep) would overflow the stack of describeTree's recursive walk.
 */
export function stockVerdict(xml: string): { doc: Document } | { refused: string } {
  try {
    assertSafeXmlText(unmarked(xml), LIMITS);
  } catch (err) {
    return { refused: (err as SamlSpError).code };
  }
  let problem: string | undefined;
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning' || problem === undefined) problem ??= message;
      },
      normalizeLineEndings: (source: string) => source.replace(/\r\n?/g, '\n'),
    }).parseFromString(unmarked(xml), 'text/xml');
  } catch {
    return { refused: 'SAML_MALFORMED' };
  }
  if (problem !== undefined) return { refused: 'SAML_MALFORMED' };
  return { doc };
}

let scratch: string | undefined;

/** libxml2's verdict: refused on a fatal error (exit status) or a namespace error; and the errors it printed. */
export function libxml2(xml: string): { refused: boolean; errors: string[] } {
  scratch ??= mkdtempSync(path.join(tmpdir(), 'parser-oracle-'));
  const file = path.join(scratch, 'doc.xml');
  writeFileSync(file, xml);
  const lint = spawnSync('xmllint', ['--noout', '--nonet', file], { encoding: 'utf8' });
  if (lint.error)
    throw new Error(`xmllint did not run (apt-get install libxml2-utils): ${lint.error.message}`);
  const errors = lint.stderr.split('\n').filter((line) => /\b(parser|namespace) error\b/.test(line));
  return { refused: lint.status !== 0 || errors.length > 0, errors };
}

export function libxml2Refuses(xml: string): boolean {
  return libxml2(xml).refused;
}

/**
 * libxml2 refuses only because a namespace name is not a valid URI (" urn:x ", "&http://…"): a known
 * difference (see knownDifference), which needs libxml2's own URI parser to recognise.
 */
export function onlyNamespaceUriErrors(verdict: { refused: boolean; errors: string[] }): boolean {
  return (
    verdict.errors.length > 0 &&
    verdict.errors.every((line) => /namespace error : xmlns(:[^:]*)?: '.*' is not a valid URI/.test(line))
  );
}

/** Removes the scratch directory (afterAll). */
export function cleanUpOracles(): void {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
}

/**
 * Where parseXml and libxml2 disagree by design, and why; undefined for every other document.
 * - A DTD: parseXml refuses any (SAML never has one); libxml2 reads it.
 * - An encoding label other than UTF-8: parseXml reads text already decoded (the label describes bytes it
 *   never sees); xmllint decodes the file's bytes by the label, or refuses an unknown one.
 * - A namespace name that is not a valid URI (" urn:x ", "&http://…"): libxml2 reports a namespace error,
 *   parseXml keeps the name as written, as xmldom does (no reader of ours matches such a namespace). Only
 *   libxml2's own URI parser can tell these, so it is recognised from its message (onlyNamespaceUriErrors).
 * - An element named `xmlns`: XML allows it, xmldom cannot represent it (its factories reserve the name for
 *   the XMLNS namespace), so parseXml refuses it.
 * - An unpaired surrogate: not a character, parseXml refuses it; but no UTF-8 file can carry one (Node writes
 *   U+FFFD instead), so xmllint never sees it.
 */
export function knownDifference(xml: string): string | undefined {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return 'DTD';
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(xml))
    return 'unpaired surrogate';
  const label = /^\uFEFF?<\?xml[^>]*encoding\s*=\s*["']([^"']*)["']/.exec(xml);
  if (label && label[1]!.toUpperCase() !== 'UTF-8') return 'encoding label';
  if (/<xmlns[\s/>]/.test(xml)) return 'element named xmlns';
  return undefined;
}
