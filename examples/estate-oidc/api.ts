/**
 * The estate's Node API: `GET /orders` answers only a bearer access token that the OpenID bridge issued for
 * this API (its resource indicator is the token's `aud`), verified with the library's one call. Any app of the
 * estate (the Django app here, a Go service, a single-page app) calls it with the token it got from the bridge.
 */
import { createServer, type Server } from 'node:http';
import { AccessTokenError, verifyAccessToken } from 'saml-sp-kit';

export interface OrdersApiOptions {
  /** The bridge's issuer (its BASE_URL). */
  issuer: string;
  /** This API's resource indicator (OIDC_RESOURCES on the bridge). */
  audience: string;
}

export function createOrdersApi(options: OrdersApiOptions): Server {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://api.invalid');
    if (req.method !== 'GET' || url.pathname !== '/orders') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    const header = req.headers.authorization ?? '';
    try {
      const token = await verifyAccessToken(header.startsWith('Bearer ') ? header.slice(7) : undefined, {
        issuer: options.issuer,
        audience: options.audience,
        scope: 'api',
      });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(
        JSON.stringify({
          sub: token.sub,
          client: token.client_id,
          orders: [{ id: 'ord-1001', total: '42.00' }],
        }),
      );
    } catch (err) {
      const code = err instanceof AccessTokenError ? err.code : 'invalid_token';
      // RFC 6750: the reason goes in WWW-Authenticate; 403 for a valid token without the scope.
      res
        .writeHead(code === 'insufficient_scope' ? 403 : 401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer error="${code}"`,
        })
        .end(JSON.stringify({ error: code }));
    }
  });
}
