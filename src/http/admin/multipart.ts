/**
 * A small multipart/form-data reader for the admin page's metadata upload (a file input needs multipart and
 * the page runs without JavaScript). Bounded: the whole body, the number of parts and each part's headers.
 * Files come back as UTF-8 text: metadata is XML.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { AdminError } from '../../sp/admin-errors.ts';

/** One form field; `filename` is set for file inputs. */
export interface FormPart {
  name: string;
  filename?: string;
  value: string;
}

const MAX_PARTS = 30;

/** Middleware: parses a multipart or urlencoded form body into `req.body` (Record<string, string>). */
export function formBody(maxBytes: number) {
  const raw = express.raw({ type: 'multipart/form-data', limit: maxBytes });
  const urlencoded = express.urlencoded({ extended: false, limit: maxBytes, parameterLimit: MAX_PARTS });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.is('application/x-www-form-urlencoded')) {
      urlencoded(req, res, next);
      return;
    }
    raw(req, res, (err?: unknown) => {
      if (err) {
        const tooLarge = (err as { type?: string }).type === 'entity.too.large';
        return next(
          new AdminError(
            'ADMIN_INVALID_REQUEST',
            tooLarge ? 'The upload is too large.' : 'The form could not be read.',
            {
              hint: tooLarge
                ? `Metadata files are a few kilobytes; the limit is ${maxBytes} bytes.`
                : 'Submit the form again.',
              status: tooLarge ? 413 : 400,
            },
          ),
        );
      }
      try {
        const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.get('content-type') ?? '');
        const parts = Buffer.isBuffer(req.body)
          ? parseMultipart(req.body, boundary?.[1] ?? boundary?.[2] ?? '')
          : [];
        const fields: Record<string, string> = {};
        for (const part of parts) fields[part.name] ??= part.value;
        req.body = fields;
        next();
      } catch (cause) {
        next(cause);
      }
    });
  };
}

/**
 * Splits a multipart body. Throws ADMIN_INVALID_REQUEST when it is not well formed.
 *
 * @example
 * ```ts
 * parseMultipart(body, 'XyZ'); // [{ name: 'metadata', filename: 'idp.xml', value: '<EntityDescriptor …' }]
 * ```
 */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  if (!/^[\w'()+,./:=? -]{1,70}$/.test(boundary)) throw malformed('no valid boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let start = body.indexOf(delimiter);
  if (start < 0) throw malformed('no boundary in the body');
  for (;;) {
    start += delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const end = body.indexOf(delimiter, start);
    if (end < 0) throw malformed('unterminated part');
    if (parts.length >= MAX_PARTS) throw malformed('too many fields');
    // Each part: CRLF, headers, CRLF CRLF, content, CRLF.
    const chunk = body.subarray(start + 2, end - 2);
    const split = chunk.indexOf('\r\n\r\n');
    if (split < 0 || split > 4096) throw malformed('part headers');
    const headers = chunk.subarray(0, split).toString('utf8');
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw malformed('a part without a name');
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    parts.push({
      name,
      ...(filename !== undefined ? { filename } : {}),
      value: chunk.subarray(split + 4).toString('utf8'),
    });
    start = end;
  }
  return parts;
}

function malformed(reason: string): AdminError {
  return new AdminError('ADMIN_INVALID_REQUEST', `The form upload is malformed (${reason}).`, {
    hint: 'Submit the form again from the admin page.',
  });
}
