/** Shared assertions for the response-validator tests. */
import { expect } from 'vitest';
import type { SamlErrorCode, SamlSpError } from '../../../src/core/errors.ts';
import {
  type ValidateResponseOptions,
  validateResponse,
} from '../../../src/core/response/validate-response.ts';
import { buildValidateOptions } from '../../fixtures/build-response.ts';

/** Validates and expects a rejection with `code`; returns the error for further checks. */
export async function expectRejected(
  samlResponse: string,
  code: SamlErrorCode,
  options: ValidateResponseOptions = buildValidateOptions(),
): Promise<SamlSpError> {
  const error = await validateResponse(samlResponse, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error, `expected ${code}, but the response was accepted`).toBeDefined();
  expect(error).toMatchObject({ name: 'SamlSpError', code });
  return error as SamlSpError;
}
