import path from 'node:path';
import type { AliasOptions } from 'vitest/config';

const src = path.join(import.meta.dirname, 'src');

/**
 * Examples import the package by its name, as users do ('saml-sp-kit', 'saml-sp-kit/dev-idp'). In tests that name
 * means the TypeScript sources, never a stale dist/ (Node itself does the same through the export condition
 * `saml-sp-kit-source`, and tsc through `customConditions`).
 */
export const packageSelfAlias: AliasOptions = [
  { find: /^saml-sp-kit$/, replacement: path.join(src, 'index.ts') },
  { find: /^saml-sp-kit\/express$/, replacement: path.join(src, 'http/index.ts') },
  { find: /^saml-sp-kit\/dev-idp$/, replacement: path.join(src, 'dev-idp/index.ts') },
];
