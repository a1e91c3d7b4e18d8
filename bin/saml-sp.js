#!/usr/bin/env node
// The CLI is TypeScript run by Node 24's type stripping; this shim only gives npm a JavaScript entry point.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(
    `saml-sp needs Node 24 or newer (this is ${process.version}). Run it through npm (npx saml-sp), which uses the project's Node 24.`,
  );
  process.exit(2);
}
await import('../src/cli/main.ts');
