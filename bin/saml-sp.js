#!/usr/bin/env node
// The `saml-sp` command. Installed from npm (under node_modules, where Node never strips types) it runs the
// compiled dist/; in a checkout it runs the TypeScript sources directly, as `npm start` does, so nothing needs
// building during development.
const [major, minor] = process.versions.node.split('.').map(Number);
const installed = import.meta.url.includes('/node_modules/');
if (installed ? major < 22 || (major === 22 && minor < 13) : major < 24) {
  const needs = installed ? 'Node 22.13 or newer' : 'Node 24 or newer to run its TypeScript sources';
  console.error(`saml-sp needs ${needs} (this is ${process.version}).`);
  if (!installed)
    console.error('In a checkout, run it through npm (npx saml-sp), which uses the project’s Node 24.');
  process.exit(2);
}
await import(installed ? '../dist/cli/main.js' : '../src/cli/main.ts');
