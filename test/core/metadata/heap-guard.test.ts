/**
 * Whole-document parses of metadata that the heap cannot hold are refused before they start (issue #16, item
 * 6; src/core/metadata/limits.ts). Signed metadata is parsed whole to verify its signature, so before anything
 * in it is trusted: whoever serves the URL decides its shape. Running out of heap kills Node outright, and a
 * scheduled refresh would kill the restarted server again. Here: the estimate and the refusal with injected
 * heap figures, and a real process with a small heap that died on such a document before the guard.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertHeapForWholeParse,
  type HeapFacts,
  wholeParseHeapEstimate,
} from '../../../src/core/metadata/limits.ts';
import { federationAggregateXml } from '../../fixtures/federation-aggregate.ts';
import { testKeyPair } from '../sp-fixtures.ts';

const MB = 1024 * 1024;
const adfs = readFileSync(new URL('../../fixtures/metadata/adfs-signed.xml', import.meta.url), 'utf8');
/** 250,000 empty elements in an EntityDescriptor: under the default 1 MiB limit, about 200 MB as a DOM. */
const hostile = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com">${'<a/>'.repeat(250_000)}</md:EntityDescriptor>`;

function refusalOf(fn: () => unknown): { code: string; message: string; hint: string; details: object } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string; hint: string; details: object };
  }
  throw new Error('expected a refusal');
}

describe('the heap estimate of a whole-document parse', () => {
  it('counts tags, not bytes: empty elements cost far more per byte than a real aggregate', () => {
    const aggregate = federationAggregateXml({ entities: 300 });
    const perByte = (xml: string) => wholeParseHeapEstimate(xml) / xml.length;
    // Measured: about 200 bytes of heap per byte for empty elements, 13-14 for a real aggregate.
    expect(perByte(hostile)).toBeGreaterThan(250);
    expect(perByte(aggregate)).toBeGreaterThan(14);
    expect(perByte(aggregate)).toBeLessThan(30);
  });
});

describe('assertHeapForWholeParse', () => {
  const heap = (limitMb: number, usedMb: number): HeapFacts => ({
    heap_size_limit: limitMb * MB,
    used_heap_size: usedMb * MB,
  });

  it('lets an IdP’s own metadata through on a small heap', () => {
    expect(() => assertHeapForWholeParse(adfs, 'The signed IdP metadata', heap(128, 60))).not.toThrow();
  });

  it('refuses a document the heap cannot hold, with the numbers and what to do', () => {
    const error = refusalOf(() => assertHeapForWholeParse(hostile, 'The signed IdP metadata', heap(256, 60)));
    expect(error.code).toBe('SAML_MESSAGE_TOO_LARGE');
    expect(error.message).toMatch(
      /needs about 289 MB of memory; this server has about 132 MB free of its 256 MB heap/,
    );
    expect(error.hint).toMatch(/IdP’s own metadata/);
    expect(error.hint).toMatch(/--max-old-space-size/);
    expect(error.details).toEqual({
      heapNeeded: expect.any(Number),
      heapAvailable: 132 * MB,
      heapLimit: 256 * MB,
    });
  });

  it('lets the same document through where the heap can hold it', () => {
    expect(() => assertHeapForWholeParse(hostile, 'The signed IdP metadata', heap(4096, 60))).not.toThrow();
  });
});

describe('a server with a small heap', () => {
  it('refuses signed metadata it cannot hold instead of dying of it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heap-guard-'));
    try {
      const script = path.join(dir, 'parse.ts');
      const source = new URL('../../../src/core/metadata/idp-metadata.ts', import.meta.url).href;
      writeFileSync(
        script,
        `import { parseIdpMetadata } from ${JSON.stringify(source)};
         import { readFileSync } from 'node:fs';
         const [xml, pin] = [readFileSync(process.argv[2], 'utf8'), readFileSync(process.argv[3], 'utf8')];
         try {
           parseIdpMetadata(xml, { signature: { certificates: [pin] } });
           console.log(JSON.stringify({ accepted: true }));
         } catch (error) {
           console.log(JSON.stringify({ code: error.code, message: error.message }));
         }`,
      );
      writeFileSync(path.join(dir, 'metadata.xml'), hostile);
      writeFileSync(path.join(dir, 'pin.pem'), testKeyPair('idp').certificatePem);
      // 96 MB of old space: without the guard this process died with "JavaScript heap out of memory".
      const run = spawnSync(
        process.execPath,
        ['--max-old-space-size=96', script, path.join(dir, 'metadata.xml'), path.join(dir, 'pin.pem')],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(run.stderr).not.toMatch(/heap out of memory/);
      expect(run.status).toBe(0);
      const outcome = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as {
        code?: string;
        message?: string;
      };
      expect(outcome.code).toBe('SAML_MESSAGE_TOO_LARGE');
      expect(outcome.message).toMatch(/checked as a whole document/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
