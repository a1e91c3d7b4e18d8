/**
 * The ordered list of checks a SAML Response goes through, and the recorder that lets `saml-sp inspect`
 * explain each one. The ids are stable: docs and the inspect output refer to them.
 */
import { isSamlSpError } from '../errors.ts';

/** One line of the explanation `saml-sp inspect` prints. */
export interface CheckTrace {
  check: ResponseCheckId;
  status: 'pass' | 'fail' | 'skip';
  detail?: string;
}

/** The checks in the order validateResponse runs them (SAML core §3.2.2, profiles §4.1.4.2–4.1.4.3). */
export const RESPONSE_CHECKS = [
  { id: 'size', title: 'The message is within the size limit and decodes (base64 or raw XML)' },
  {
    id: 'parse',
    title:
      'Well-formed XML without DOCTYPE, ENTITY or processing instructions, nested at most maxDepth (100) deep',
  },
  {
    id: 'structure',
    title:
      'One samlp:Response root, at most one assertion, no duplicate IDs, elements where the SAML schema allows them',
  },
  { id: 'status', title: 'The status is Success' },
  { id: 'destination', title: 'Destination is exactly this ACS URL' },
  { id: 'response-issuer', title: 'The Response Issuer, when present, is the IdP entity ID' },
  {
    id: 'response-signature',
    title: 'A Response signature, when present, verifies with a trusted certificate',
  },
  {
    id: 'decrypt',
    title:
      'The assertion is found; when encrypted, decrypted with allowed algorithms only (AES-CBC under a Response signature)',
  },
  {
    id: 'assertion-signature',
    title: 'An Assertion signature, when present, verifies with a trusted certificate',
  },
  { id: 'signature-policy', title: 'The signatures the connection requires are present' },
  { id: 'assertion-issuer', title: 'The Assertion Issuer is the IdP entity ID' },
  { id: 'subject', title: 'A NameID and a bearer confirmation for this ACS URL that has not expired' },
  { id: 'conditions', title: 'Conditions NotBefore / NotOnOrAfter hold, within the allowed clock skew' },
  { id: 'audience', title: 'Every AudienceRestriction names this SP entity ID exactly' },
  { id: 'authn-statement', title: 'AuthnStatement: AuthnInstant not in the future, session not ended' },
  {
    id: 'in-response-to',
    title: 'InResponseTo names a request this browser started, or unsolicited is allowed',
  },
  { id: 'attributes', title: 'Attributes are read (repeated names merged)' },
  {
    id: 'authn-context',
    title:
      'The authentication method is one the connection accepts, and as fresh as the request asked (ForceAuthn, maxAge)',
  },
] as const satisfies readonly { id: string; title: string }[];

export type ResponseCheckId = (typeof RESPONSE_CHECKS)[number]['id'];

/**
 * Runs checks in order and records each outcome when the caller asked for a trace. On the first failure the
 * checks not yet run are recorded as skipped, so the trace always lists the whole checklist.
 */
export class Checklist {
  readonly #trace: CheckTrace[] | undefined;
  readonly #done = new Set<ResponseCheckId>();

  constructor(trace: CheckTrace[] | undefined) {
    this.#trace = trace;
  }

  /** Runs one check; a string returned by `detail` is recorded with the pass. */
  run<T>(check: ResponseCheckId, fn: () => T, detail?: (result: T) => string | undefined): T {
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.#record(check, 'fail', isSamlSpError(err) ? `${err.code}: ${err.message}` : String(err));
      this.#skipRest('not run: an earlier check failed');
      throw err;
    }
    this.#record(check, 'pass', detail?.(result));
    return result;
  }

  /** Like {@link run} for an async check. */
  async runAsync<T>(
    check: ResponseCheckId,
    fn: () => Promise<T>,
    detail?: (result: T) => string | undefined,
  ) {
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      this.#record(check, 'fail', isSamlSpError(err) ? `${err.code}: ${err.message}` : String(err));
      this.#skipRest('not run: an earlier check failed');
      throw err;
    }
    this.#record(check, 'pass', detail?.(result));
    return result;
  }

  /**
   * Runs a check that may not apply to this message: when `fn` returns undefined (no Response signature,
   * say), the check is recorded as skipped with `skipped` as the detail.
   */
  runOptional<T>(
    check: ResponseCheckId,
    fn: () => T | undefined,
    skipped: string,
    detail?: (result: T) => string | undefined,
  ) {
    const result = this.run(check, fn, (r) => (r === undefined ? skipped : detail?.(r)));
    if (result === undefined && this.#trace) this.#trace[this.#trace.length - 1]!.status = 'skip';
    return result;
  }

  /** Records a check that does not apply to this message (e.g. no Response signature). */
  skip(check: ResponseCheckId, detail: string): void {
    this.#record(check, 'skip', detail);
  }

  #record(check: ResponseCheckId, status: CheckTrace['status'], detail: string | undefined): void {
    this.#done.add(check);
    if (!this.#trace) return;
    this.#trace.push(detail === undefined ? { check, status } : { check, status, detail });
  }

  #skipRest(detail: string): void {
    for (const { id } of RESPONSE_CHECKS) if (!this.#done.has(id)) this.#record(id, 'skip', detail);
  }
}
