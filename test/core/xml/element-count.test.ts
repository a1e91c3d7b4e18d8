/**
 * parseXml builds at most `maxBytes / 16` elements (src/core/xml/parse.ts). A document of empty elements
 * (`<a/>`, 4 bytes) builds about 800 bytes of DOM per element, 200 per byte of input: under the 256 KiB
 * message limit, 65,000 of them took about 51 MB of heap from an anonymous POST to the ACS. Genuine messages,
 * even with thousands of group values, average 40 bytes and more per element.
 */
import { describe, expect, it } from 'vitest';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { DEFAULT_MAX_XML_BYTES, parseXml } from '../../../src/core/xml/parse.ts';
import { buildResponseXml, buildValidateOptions, encodeResponse } from '../../fixtures/build-response.ts';
import { expectRejected } from '../response/helpers.ts';

/** `count` empty foreign elements in the Response's Extensions: outside the signed assertion. */
function withEmptyElements(xml: string, count: number): string {
  return xml.replace(
    '<samlp:Status>',
    `<samlp:Extensions><x:e xmlns:x="urn:x">${'<x:a/>'.repeat(count)}</x:e></samlp:Extensions><samlp:Status>`,
  );
}

describe('the number of elements a parse builds is capped by the size limit', () => {
  const cap = DEFAULT_MAX_XML_BYTES / 16;

  it('refuses a message of empty elements under the size limit, with a 413 and the count allowed', async () => {
    const xml = withEmptyElements(await buildResponseXml({}), 20_000);
    expect(Buffer.byteLength(xml)).toBeLessThan(DEFAULT_MAX_XML_BYTES);
    const error = await expectRejected(encodeResponse(xml), 'SAML_MESSAGE_TOO_LARGE');
    expect(error.message).toMatch(`more than ${cap} elements`);
    expect(error.details).toEqual({ maxElements: cap });
    expect(error.status).toBe(413);
    expect(error.hint).toMatch(/raise the size limit/);
  });

  it('accepts a genuine message with 2,500 group values, near the size limit', async () => {
    const groups = Array.from({ length: 2_500 }, (_, i) => `engineering-team-${i}`);
    const xml = await buildResponseXml({
      attributes: [
        { name: 'email', values: ['alice@example.com'] },
        { name: 'groups', values: groups },
      ],
    });
    expect(Buffer.byteLength(xml)).toBeGreaterThan(DEFAULT_MAX_XML_BYTES / 2);
    const assertion = await validateResponse(encodeResponse(xml), buildValidateOptions());
    expect(assertion.attributes.groups).toHaveLength(2_500);
  });

  it('grows with the limit: the same 20,000 elements parse under a 1 MiB limit', async () => {
    const xml = withEmptyElements(await buildResponseXml({}), 20_000);
    const doc = parseXml(xml, { maxBytes: 1024 * 1024 });
    expect(doc.getElementsByTagNameNS('urn:x', 'a').length).toBe(20_000);
  });

  it('counts every element, nested or not, and stops at the first one over', () => {
    const xml = `<r>${'<a><b/></a>'.repeat(cap / 2)}</r>`;
    expect(() => parseXml(xml)).toThrow(expect.objectContaining({ code: 'SAML_MESSAGE_TOO_LARGE' }));
    expect(parseXml(`<r>${'<a><b/></a>'.repeat(cap / 2 - 1)}</r>`).documentElement?.childNodes.length).toBe(
      cap / 2 - 1,
    );
  });
});
