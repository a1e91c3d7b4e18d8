/**
 * xs:duration, as metadata's `cacheDuration` writes it (PT6H, P1D, PT1H30M, P0Y0M1DT0H0M0.5S).
 *
 * Years and months have no fixed length; for a cache lifetime, 365 and 30 days are close enough.
 */

const XS_DURATION =
  /^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?(?:T(?!$)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const SECOND = 1000;
const UNIT_MS = [365 * 86400, 30 * 86400, 86400, 3600, 60, 1].map((s) => s * SECOND);

/**
 * Milliseconds in a non-negative xs:duration, or undefined when the text is not one (negative durations make
 * no sense as a cache lifetime and are refused too).
 *
 * @example
 * ```ts
 * parseXsDuration('PT6H'); // 21_600_000
 * parseXsDuration('soon'); // undefined
 * ```
 */
export function parseXsDuration(text: string): number | undefined {
  const match = XS_DURATION.exec(text.trim());
  if (!match) return undefined;
  let total = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) total += Number(part) * UNIT_MS[i]!;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}
