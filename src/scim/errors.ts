/**
 * SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType` keyword and a `detail` that tells the
 * directory's admin what to fix. Every refusal of the SCIM service is one of these, so the edge can always
 * answer with the RFC's error document and never with a 500 for something a client sent.
 */

/** The `scimType` keywords of RFC 7644 Table 9 that this service uses. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * A SCIM request that cannot be served.
 *
 * @example
 * ```ts
 * throw new ScimError(409, 'A user with userName "alice@acme.test" already exists.', 'uniqueness');
 * ```
 */
export class ScimError extends Error {
  override readonly name = 'ScimError';
  readonly status: number;
  readonly scimType: ScimType | undefined;

  constructor(status: number, detail: string, scimType?: ScimType, options?: { cause?: unknown }) {
    super(detail, options);
    this.status = status;
    this.scimType = scimType;
  }

  /** The RFC 7644 error document. */
  toJSON(): { schemas: string[]; status: string; scimType?: ScimType; detail: string } {
    return {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.message,
    };
  }
}

export const notFound = (what: string, id: string): ScimError =>
  new ScimError(404, `${what} ${JSON.stringify(id)} not found in this organization's directory.`);

export const invalidSyntax = (detail: string): ScimError => new ScimError(400, detail, 'invalidSyntax');

export const invalidValue = (detail: string): ScimError => new ScimError(400, detail, 'invalidValue');
