/**
 * libxml2's exclusive canonical form of an element, through xmlsec1 (the C stack Shibboleth-style IdPs and
 * python3-saml sign with): the third implementation that settles a disagreement between ours and xml-crypto.
 *
 * xmlsec1 has no "canonicalise this element" command, so this signs it: the document is copied, the node to
 * exclude removed (the enveloped-signature transform's output is the same as the subtree without it), the
 * apex given a `c14nRef` attribute to reference and a Signature template (enveloped + exclusive c14n with the
 * PrefixList) appended as its last child, and `xmlsec1 --sign --node-xpath … --store-references` prints the bytes it
 * digested ("PreDigest data"). Ours is then run on a parse of that same text, excluding the template, so both
 * canonicalise one document.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, type Document, type Element, type Node, XMLSerializer } from '@xmldom/xmldom';
import { canonicalizeExclusive } from '../../../src/core/crypto/exc-c14n.ts';
import { testKey } from '../../fixtures/build-response.ts';
import { XMLSEC1 } from '../xmlsec.ts';

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

function template(prefixList: readonly string[]): string {
  const inclusive =
    prefixList.length > 0
      ? `<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="${prefixList.join(' ')}"/>`
      : '';
  return (
    `<ds:Signature xmlns:ds="${DSIG}" Id="c14n-template"><ds:SignedInfo>` +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
    '<ds:Reference URI="#c14n-apex"><ds:Transforms>' +
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
    `<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">${inclusive}</ds:Transform>` +
    '</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>' +
    '</ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>'
  );
}

/** Elements under `root` in document order (iterative: the depth may be hostile). */
export function elementsInOrder(root: Node): Element[] {
  const out: Element[] = [];
  let node: Node | null = root.firstChild;
  while (node && node !== root) {
    if (node.nodeType === 1) out.push(node as Element);
    if (node.firstChild) {
      node = node.firstChild;
      continue;
    }
    while (node && node !== root && !node.nextSibling) node = node.parentNode;
    if (node && node !== root) node = node.nextSibling;
  }
  return out;
}

/** Both canonical forms of the apex (`apexIndex` in document order of `doc`), on one document text. */
export function oursAndLibxml2(
  doc: Document,
  apexIndex: number,
  options: { prefixList?: readonly string[]; exclude?: Element } = {},
): { ours: string; libxml2: string; text: string } {
  const prefixList = options.prefixList ?? [];
  const all = elementsInOrder(doc);
  const excludeIndex = options.exclude ? all.indexOf(options.exclude) : -1;
  const copy = new DOMParser().parseFromString(new XMLSerializer().serializeToString(doc), 'text/xml');
  const copied = elementsInOrder(copy);
  const apex = copied[apexIndex]!;
  if (excludeIndex >= 0) copied[excludeIndex]!.parentNode!.removeChild(copied[excludeIndex]!);
  apex.setAttribute('c14nRef', 'c14n-apex');
  const signature = new DOMParser().parseFromString(template(prefixList), 'text/xml').documentElement!;
  apex.appendChild(copy.importNode(signature, true));
  const text = new XMLSerializer().serializeToString(copy);

  const dir = mkdtempSync(join(tmpdir(), 'c14n-'));
  try {
    const key = testKey('idp');
    writeFileSync(join(dir, 'key.pem'), key.keyPem);
    writeFileSync(join(dir, 'cert.pem'), key.certPem);
    writeFileSync(join(dir, 'in.xml'), text);
    const output = execFileSync(
      XMLSEC1,
      [
        '--sign',
        '--privkey-pem',
        `${join(dir, 'key.pem')},${join(dir, 'cert.pem')}`,
        '--id-attr:c14nRef',
        apex.localName!,
        '--node-xpath',
        "//*[@Id='c14n-template']",
        '--store-references',
        '--output',
        join(dir, 'out.xml'),
        join(dir, 'in.xml'),
      ],
      { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const start = '== PreDigest data - start buffer:\n';
    const from = output.indexOf(start);
    const to = output.indexOf('\n== PreDigest data - end buffer');
    if (from < 0 || to < 0) throw new Error(`xmlsec1 printed no PreDigest data:\n${output}`);
    const libxml2 = output.slice(from + start.length, to);

    const again = new DOMParser().parseFromString(text, 'text/xml');
    const ourApex = elementsInOrder(again).find((e) => e.getAttribute('c14nRef') === 'c14n-apex')!;
    const ourTemplate = ourApex.lastChild as Element;
    const ours = canonicalizeExclusive(ourApex, { prefixList, exclude: ourTemplate });
    return { ours, libxml2, text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
