/**
 * The "null SP" of `npm run bench:http`: answers the product's three sign-in requests with the same shapes
 * (GET /saml/bench/login -> 302 to the IdP with a deflated AuthnRequest of a fresh ID and a browser-key
 * cookie; POST /saml/bench/acs -> the body read, 303 with a session cookie; GET /me -> a small JSON user)
 * and does no SAML work at all: nothing parsed, verified or stored.
 *
 * What it measures is the rig, not an SP: the most complete sign-ins per second this load generator can
 * drive on its core, where it also plays the IdP (an RSA-2048 signature per sign-in) and four browsers. A
 * contender's rate cannot exceed it, whatever its server's speed.
 *
 * Environment: PORT. Prints "listening on" once it accepts connections.
 */
import { createServer } from 'node:http';
import { deflateRawSync } from 'node:zlib';

const port = Number(process.env.PORT);
const ME = JSON.stringify({ user: { id: 'null', email: 'user@bench.example', groups: ['staff', 'bench'] } });
const COOKIE_ATTRIBUTES = 'Path=/; HttpOnly; SameSite=Lax';
let serial = 0;

const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'POST' && url.startsWith('/saml/bench/acs')) {
    req.resume();
    req.once('end', () => {
      res.writeHead(303, {
        location: '/home',
        'set-cookie': `saml_sp_session=${token()}; ${COOKIE_ATTRIBUTES}`,
        'content-length': '0',
      });
      res.end();
    });
    return;
  }
  if (url.startsWith('/saml/bench/login')) {
    const id = `_null${token()}`;
    const request =
      `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${id}" Version="2.0" ` +
      `IssueInstant="${new Date().toISOString()}" Destination="https://idp.bench.example/sso">` +
      '<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">null-sp</saml:Issuer></samlp:AuthnRequest>';
    const samlRequest = encodeURIComponent(deflateRawSync(request).toString('base64'));
    res.writeHead(302, {
      location: `https://idp.bench.example/sso?SAMLRequest=${samlRequest}`,
      'set-cookie': `saml_sp_session_req=${token()}; ${COOKIE_ATTRIBUTES}`,
      'content-length': '0',
    });
    res.end();
    return;
  }
  if (url === '/me') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ME) });
    res.end(ME);
    return;
  }
  res.writeHead(404, { 'content-length': '0' });
  res.end();
});
server.listen(port, '127.0.0.1', () => console.log(`null SP listening on http://127.0.0.1:${port}`));

/** A unique cookie-shaped value (43 characters, as the product's tokens). */
function token(): string {
  return (++serial).toString(36).padStart(43, '0');
}
