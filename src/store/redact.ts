/** Keeping passwords out of error messages and logs. */

/**
 * Hides the password of a URL-like string (`scheme://user:password@host`) before it reaches an error message
 * or a log line; a URL without a password comes back unchanged.
 *
 * @example
 * ```ts
 * redactUrl('postgres://app:hunter2@db/sp'); // 'postgres://app:***@db/sp'
 * ```
 */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
