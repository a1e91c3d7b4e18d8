import { readFile } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { isSamlSpError } from '../../core/errors.ts';
import { type CheckTrace, validateResponse } from '../../core/response/validate-response.ts';
import { NS } from '../../core/xml/namespaces.ts';
import { parseXml } from '../../core/xml/parse.ts';
import type { TraceCheck } from '../../store/traces.ts';
import { openContext, parse, UsageError } from '../commands.ts';

/**
 * `saml-sp inspect [FILE | -] [--connection ID] [--at ISO-TIME]`: decodes a SAML message (base64, deflated
 * base64 as in the Redirect binding, or plain XML) and, with a connection, runs the full ACS checklist on it,
 * printing every check. `--at` replays the validation at another time (a captured response from yesterday).
 * InResponseTo is accepted as outstanding here: inspect has no browser to bind it to.
 */
export async function inspectCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { connection: { type: 'string' }, at: { type: 'string' } });
  const source = positionals[0] ?? '-';
  const raw = source === '-' ? await readStdin() : await readFile(source, 'utf8');
  const xml = decodeMessage(raw);
  const doc = parseXml(xml, { what: 'SAML message', maxBytes: 10 * 1024 * 1024 });
  const root = doc.documentElement!;
  process.stdout.write(`Message: <${root.localName}> (${root.namespaceURI})\n`);
  for (const attr of ['ID', 'Destination', 'InResponseTo', 'IssueInstant']) {
    const value = root.getAttribute(attr);
    if (value) process.stdout.write(`  ${attr}: ${value}\n`);
  }
  const issuer = Array.from(root.getElementsByTagNameNS(NS.assertion, 'Issuer'))[0];
  if (issuer) process.stdout.write(`  Issuer: ${issuer.textContent?.trim()}\n`);
  if (!values.connection) {
    process.stdout.write(`\n${xml}\n\nPass --connection ID to run the ACS checks against a connection.\n`);
    return 0;
  }
  if (root.localName !== 'Response' || root.namespaceURI !== NS.protocol) {
    throw new UsageError('Only SAML Responses can be checked against a connection for now.');
  }
  const now = values.at ? new Date(values.at) : new Date();
  if (Number.isNaN(now.getTime())) throw new UsageError(`--at "${values.at}" is not a date/time.`);
  const ctx = await openContext();
  try {
    const connection = await ctx.sp.connection(values.connection);
    const sp = await ctx.sp.spIdentityFor(connection);
    const trace: CheckTrace[] = [];
    const inResponseTo = root.getAttribute('InResponseTo');
    let failed = false;
    try {
      await validateResponse(xml, {
        connection,
        sp: {
          entityId: sp.entityId,
          acsUrl: sp.acsUrl,
          decryptionKeyPem: sp.encryption.privateKeyPem,
          ...(sp.decryption ? { decryption: sp.decryption } : {}),
        },
        now,
        expectedRequestIds: inResponseTo ? [inResponseTo] : [],
        trace,
      });
    } catch (err) {
      failed = true;
      printTrace(trace);
      if (isSamlSpError(err)) {
        process.stdout.write(`\nREJECTED ${err.code}: ${err.message}\n  hint: ${err.hint}\n`);
        if (Object.keys(err.details).length)
          process.stdout.write(`  details: ${JSON.stringify(err.details)}\n`);
        return 1;
      }
      throw err;
    }
    if (!failed) {
      printTrace(trace);
      process.stdout.write(`\nACCEPTED by connection "${connection.id}" at ${now.toISOString()}\n`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

/** The checklist as `inspect` prints it (`traces show` prints a stored one the same way). */
export function printTrace(trace: readonly TraceCheck[]): void {
  process.stdout.write('\nChecks:\n');
  for (const t of trace) {
    const mark = t.status === 'pass' ? 'ok  ' : t.status === 'fail' ? 'FAIL' : 'skip';
    process.stdout.write(`  [${mark}] ${t.check}${t.detail ? `: ${t.detail}` : ''}\n`);
  }
}

/** Plain XML, base64 XML (HTTP-POST) or deflated base64 (HTTP-Redirect), possibly URL-encoded. */
export function decodeMessage(input: string): string {
  let text = input.trim();
  if (text.startsWith('<')) return text;
  if (/%[0-9A-Fa-f]{2}/.test(text)) text = decodeURIComponent(text);
  text = text.replace(/^SAML(Response|Request)=/, '').replace(/&.*$/, '');
  const bytes = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  const plain = bytes.toString('utf8');
  if (plain.trimStart().startsWith('<')) return plain;
  try {
    return inflateRawSync(bytes, { maxOutputLength: 10 * 1024 * 1024 }).toString('utf8');
  } catch {
    throw new UsageError('The input is neither XML, base64 XML nor deflated base64 XML.');
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
