/**
 * The ACS's form body reader (issue #16). An IdP's HTTP-POST answer is one shape: `Content-Type:
 * application/x-www-form-urlencoded`, a Content-Length, no Content-Encoding, two fields. For that shape this
 * reads the bytes itself and parses them exactly as body-parser's `urlencoded({ extended: false })` would (the
 * same `qs.parse` options, the same parameter count check); it skips body-parser's general machinery (raw-body,
 * content-type and type-is parsing, iconv, stream piping), which cost more than the parse itself in the
 * `bench:http` profile. Anything else (another charset, a compressed or chunked body, a body over the limit,
 * no Content-Length) goes to body-parser as before, so its 400/413/415 answers and limits are unchanged.
 */
import express, { type Request, type RequestHandler } from 'express';
import qs from 'qs';

export interface AcsFormOptions {
  /** Largest body in bytes. */
  limit: number;
  /** Most fields (`&`-separated parts) accepted; more is 413 `parameters.too.many`, as body-parser answers. */
  parameterLimit: number;
}

/** The Content-Type values read here (compared lower-cased); any other goes to body-parser. */
const PLAIN_FORM = new Set([
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded;charset=utf-8',
]);
const DECIMAL = /^[0-9]{1,10}$/;

/** An error shaped like body-parser's (`status`, `type`): the ACS maps both the same way. */
function bodyError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}

/**
 * The middleware: sets `req.body` (an object of strings, or arrays of strings for repeated fields) or passes
 * an error with body-parser's `type` to `next`.
 *
 * @example
 * ```ts
 * router.post('/:id/acs', acsForm({ limit: 512 * 1024, parameterLimit: 10 }), handler);
 * ```
 */
export function acsForm(options: AcsFormOptions): RequestHandler {
  const general = express.urlencoded({
    extended: false,
    limit: options.limit,
    parameterLimit: options.parameterLimit,
  });
  return (req, res, next) => {
    const headers = req.headers;
    const type = headers['content-type'];
    const length = headers['content-length'];
    if (
      req.body !== undefined ||
      req.readableEnded ||
      type === undefined ||
      !PLAIN_FORM.has(type.toLowerCase()) ||
      headers['content-encoding'] !== undefined ||
      headers['transfer-encoding'] !== undefined ||
      length === undefined ||
      !DECIMAL.test(length)
    ) {
      general(req, res, next);
      return;
    }
    const expected = Number(length);
    if (expected === 0 || expected > options.limit) {
      general(req, res, next);
      return;
    }
    readBody(req, expected, (err, body) => {
      if (err) {
        next(err);
        return;
      }
      try {
        req.body = parseForm(body ?? '', options.parameterLimit);
      } catch (parseError) {
        next(parseError);
        return;
      }
      next();
    });
  };
}

/** Reads exactly `expected` bytes (node:http never delivers more than Content-Length) as UTF-8. */
function readBody(
  req: Request,
  expected: number,
  done: (err: Error | undefined, body?: string) => void,
): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const finish = (err: Error | undefined, body?: string) => {
    if (settled) return;
    settled = true;
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('error', onError);
    req.removeListener('close', onClose);
    done(err, body);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
  };
  const onEnd = () => {
    if (received !== expected) {
      finish(bodyError(400, 'request size did not match content length', 'request.size.invalid'));
      return;
    }
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
    // body-parser decodes through iconv-lite, which drops a leading byte order mark.
    let text = bytes.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    finish(undefined, text);
  };
  const onError = () => finish(bodyError(400, 'request aborted', 'request.aborted'));
  const onClose = () => finish(bodyError(400, 'request aborted', 'request.aborted'));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.on('close', onClose);
}

/** body-parser's non-extended parse: `qs.parse` with depth 0 after the parameter count check. */
function parseForm(body: string, parameterLimit: number): Record<string, unknown> {
  if (!body.length) return {};
  let count = 0;
  let index = -1;
  do {
    count++;
    if (count > parameterLimit) throw bodyError(413, 'too many parameters', 'parameters.too.many');
    index = body.indexOf('&', index + 1);
  } while (index !== -1);
  try {
    return qs.parse(body, {
      allowPrototypes: true,
      arrayLimit: count,
      depth: 0,
      charset: 'utf-8',
      parameterLimit,
      strictDepth: true,
    });
  } catch (err) {
    if (err instanceof RangeError) {
      throw bodyError(400, 'The input exceeded the depth', 'querystring.parse.rangeError');
    }
    throw bodyError(400, String(err), 'entity.parse.failed');
  }
}
