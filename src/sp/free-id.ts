/**
 * Readable identifiers made from a name ("Acme Corp." -> `acme-corp`), as connection and organization IDs: they
 * appear in URLs (`/saml/acme-corp/acs`) and in an IdP's configuration, so they are slugs, not UUIDs.
 */

/**
 * The first of `slug`, `slug-2`, … `slug-99` that `taken` says is free, else `slug-<time in base 36>`.
 * The slug is lower-case ASCII letters, digits and hyphens, at most 40 characters; `fallback` when the name has
 * none (a name in another script).
 *
 * @example
 * ```ts
 * await freeId('Acme Corp.', 'org', async (id) => (await store.get(id)) !== undefined); // 'acme-corp'
 * ```
 */
export async function freeId(
  name: string,
  fallback: string,
  taken: (id: string) => Promise<boolean>,
): Promise<string> {
  const slug =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || fallback;
  for (let n = 1; n < 100; n++) {
    const id = n === 1 ? slug : `${slug}-${n}`;
    if (!(await taken(id))) return id;
  }
  return `${slug}-${Date.now().toString(36)}`;
}
