#!/usr/bin/env node
// The `saml-sp` command. Installed from npm it runs the compiled dist/ (Node never strips types under
// node_modules); in a git checkout it runs the TypeScript sources directly, as `npm start` does, so nothing needs
// building during development.
import { existsSync } from 'node:fs';

const checkout =
  !import.meta.url.includes('/node_modules/') && existsSync(new URL('../.git', import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);
if (checkout ? major < 24 : major < 22 || (major === 22 && minor < 13)) {
  const needs = checkout ? 'Node 24 or newer to run its TypeScript sources' : 'Node 22.13 or newer';
  console.error(`saml-sp needs ${needs} (this is ${process.version}).`);
  if (checkout)
    console.error('In a checkout, run it through npm (npx saml-sp), which uses the project’s Node 24.');
  process.exit(2);
}
await import(checkout ? '../src/cli/main.ts' : '../dist/cli/main.js');
