/**
 * A minimal HTTP "browser" for tests: a cookie jar (host-scoped, as browsers scope cookies), manual redirects,
 * and helpers for the HTML forms SAML bindings use. It speaks real HTTP to real servers on 127.0.0.1.
 */
import { parseSetCookie } from 'cookie';

export interface Page {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

export class TestBrowser {
  readonly cookies = new Map<string, Map<string, string>>();

  /** GET without following redirects. */
  async get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(url, { method: 'GET', headers });
  }

  /** POST an urlencoded form without following redirects. */
  async post(
    url: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Follows 3xx Location headers (as GETs) until a non-redirect answer. */
  async follow(page: Page, maxHops = 10): Promise<Page> {
    let current = page;
    for (let i = 0; i < maxHops && current.status >= 300 && current.status < 400; i++) {
      const location = current.headers.get('location');
      if (!location) break;
      current = await this.get(new URL(location, current.url).toString());
    }
    return current;
  }

  /** Submits a form as the browser would (the auto-post forms of the SAML POST binding). */
  async submit(form: HtmlForm, overrides: Record<string, string> = {}): Promise<Page> {
    const fields = { ...form.fields, ...overrides };
    if (form.method.toUpperCase() === 'GET') {
      const url = new URL(form.action);
      for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, v);
      return this.get(url.toString());
    }
    return this.post(form.action, fields);
  }

  cookie(host: string, name: string): string | undefined {
    return this.cookies.get(host)?.get(name);
  }

  async request(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<Page> {
    const target = new URL(url);
    const jar = this.cookies.get(target.hostname);
    const cookieHeader = jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
    const response = await fetch(target, {
      method: init.method,
      redirect: 'manual',
      headers: { ...(cookieHeader ? { cookie: cookieHeader } : {}), ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const parsed = parseSetCookie(line);
      if (!parsed.name) continue;
      const hostJar = this.cookies.get(target.hostname) ?? new Map<string, string>();
      const expired =
        parsed.maxAge !== undefined
          ? parsed.maxAge <= 0
          : parsed.expires !== undefined && parsed.expires.getTime() <= Date.now();
      if (expired || !parsed.value) hostJar.delete(parsed.name);
      else hostJar.set(parsed.name, parsed.value);
      this.cookies.set(target.hostname, hostJar);
    }
    return {
      status: response.status,
      url: target.toString(),
      headers: response.headers,
      body: await response.text(),
    };
  }
}

/** The first <form> of an HTML page, with its inputs (hidden and visible) and their values. */
export function parseForm(page: Page, index = 0): HtmlForm {
  const forms = [...page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  const match = forms[index];
  if (!match)
    throw new Error(`No form #${index} on ${page.url} (status ${page.status}):\n${page.body.slice(0, 500)}`);
  const attrs = match[1] ?? '';
  const action = decodeEntities(/\baction="([^"]*)"/i.exec(attrs)?.[1] ?? page.url);
  const method = /\bmethod="([^"]*)"/i.exec(attrs)?.[1] ?? 'GET';
  const fields: Record<string, string> = {};
  for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const a = input[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(a)?.[1];
    if (!name) continue;
    fields[decodeEntities(name)] = decodeEntities(/\bvalue="([^"]*)"/i.exec(a)?.[1] ?? '');
  }
  return { action: new URL(action, page.url).toString(), method, fields };
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x2F;/gi, '/')
    .replace(/&#x3D;/gi, '=')
    .replace(/&amp;/g, '&');
}
