/**
 * The JSON view of a trace, shared by the admin API, the admin page and `saml-sp traces show --json`: the
 * stored trace with ISO times, each check with its title, and the raw capture reduced to whether there is
 * one (its opened text only when asked for).
 */
import type { SignInTrace } from '../store/traces.ts';
import { checkTitle, type TraceService } from './service.ts';

export interface TraceViewOptions {
  /** Open the captured raw message (admins only; it holds personal data). */
  raw?: boolean;
}

/**
 * @example
 * ```ts
 * res.json(traceView(await traces.get(id), traces, { raw: req.query.raw === '1' }));
 * ```
 */
export function traceView(trace: SignInTrace, traces: TraceService, options: TraceViewOptions = {}) {
  const { rawMessage, at, checks, ...rest } = trace;
  let raw: { captured: boolean; keyId?: string; xml?: string; error?: string } = { captured: !!rawMessage };
  if (rawMessage) {
    raw = { captured: true, keyId: rawMessage.keyId };
    if (options.raw) {
      try {
        raw.xml = decodeRaw(traces.openRawMessage(trace) ?? '');
      } catch (error) {
        raw.error = error instanceof Error ? error.message : String(error);
      }
    }
  }
  return {
    ...rest,
    at: at.toISOString(),
    checks: checks.map((c) => {
      const title = checkTitle(c.check);
      return title ? { ...c, title } : c;
    }),
    rawMessage: raw,
  };
}

export type TraceView = ReturnType<typeof traceView>;

/** The posted SAMLResponse is base64 XML; show the XML. */
function decodeRaw(value: string): string {
  if (value.trimStart().startsWith('<')) return value;
  const text = Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8');
  return text.trimStart().startsWith('<') ? text : value;
}
