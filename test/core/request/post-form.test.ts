import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_POST_SCRIPT_HASH, renderAutoPostForm } from '../../../src/core/request/post-form.ts';

describe('renderAutoPostForm', () => {
  const hostile = '"><script>alert(1)</script>&';

  it('escapes every value and keeps the page free of inline event handlers', () => {
    const html = renderAutoPostForm({
      action: 'https://idp.example.com/sso?a=1&b="2"',
      fields: { SAMLRequest: 'PHNhbWw+', RelayState: hostile, Skipped: undefined },
      title: '<b>Title</b>',
    });
    expect(html).toContain(
      '<form method="post" action="https://idp.example.com/sso?a=1&amp;b=&quot;2&quot;">',
    );
    expect(html).toContain('<input type="hidden" name="SAMLRequest" value="PHNhbWw+">');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;"');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('Skipped');
    expect(html).toContain('<title>&lt;b&gt;Title&lt;/b&gt;</title>');
    expect(html).toMatch(/<noscript>[\s\S]*<button type="submit">Continue<\/button>[\s\S]*<\/noscript>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('exports the CSP hash of its one script, and takes a nonce', () => {
    const html = renderAutoPostForm({ action: 'https://idp.example.com/', fields: {}, nonce: 'n0nce"' });
    const script = /<script nonce="n0nce&quot;">([^<]*)<\/script>/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(AUTO_POST_SCRIPT_HASH).toBe(`'sha256-${createHash('sha256').update(script!).digest('base64')}'`);
  });

  it('refuses a non-http action (a javascript: endpoint in hostile metadata)', () => {
    for (const action of ['javascript:alert(1)', 'data:text/html,x', '/relative']) {
      expect(() => renderAutoPostForm({ action, fields: {} })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
  });
});

describe('renderAutoPostForm in a real browser (Chromium, strict CSP)', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.method === 'GET') {
        res.setHeader(
          'Content-Security-Policy',
          `default-src 'none'; script-src ${AUTO_POST_SCRIPT_HASH}; form-action ${origin}`,
        );
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(
          renderAutoPostForm({
            action: `${origin}/acs`,
            fields: { SAMLResponse: 'PD94+bWw=', RelayState: 'a&b' },
          }),
        );
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push(body);
        res.end('posted');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('submits itself with JavaScript on, without any CSP violation', async () => {
    received.length = 0;
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await Promise.all([page.waitForURL(`${origin}/acs`, { timeout: 10_000 }), page.goto(`${origin}/form`)]);
    expect(await page.textContent('body')).toBe('posted');
    expect(received).toEqual(['SAMLResponse=PD94%2BbWw%3D&RelayState=a%26b']);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows a working Continue button with JavaScript off', async () => {
    received.length = 0;
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${origin}/form`);
    expect(page.url()).toBe(`${origin}/form`);
    await Promise.all([
      page.waitForURL(`${origin}/acs`, { timeout: 10_000 }),
      page.click('button[type=submit]'),
    ]);
    expect(received).toEqual(['SAMLResponse=PD94%2BbWw%3D&RelayState=a%26b']);
    await context.close();
  });
});
