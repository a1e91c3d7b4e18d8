// A TypeScript CommonJS module: `import = require()` of the ESM package (require(esm), nodenext).
import saml = require('saml-sp-kit');
import sspExpress = require('saml-sp-kit/express');

type IsAny<T> = 0 extends 1 & T ? true : false;

export const notAny: [IsAny<typeof saml.ServiceProvider>, IsAny<typeof sspExpress.samlRouter>] = [
  false,
  false,
];
// @ts-expect-error openStores takes options, not a string.
export const wrong = saml.openStores('memory:');
