/** Minimal, escaping HTML templating for the few pages the toolkit serves. No template engine needed. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A value that is already HTML and must not be escaped again. */
export class SafeHtml {
  readonly html: string;
  constructor(html: string) {
    this.html = html;
  }
  toString(): string {
    return this.html;
  }
}

/** Tagged template: interpolations are escaped unless they are SafeHtml (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.html;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

/** A complete page in the toolkit's plain look. */
export function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f23; }
  code, pre { font: 14px ui-monospace, monospace; background: #f3f4f6; padding: .1rem .3rem; border-radius: 4px; }
  pre { padding: .75rem; overflow-x: auto; }
  .error { border-left: 4px solid #b91c1c; padding: .5rem 1rem; background: #fef2f2; }
  .muted { color: #57606a; }
  table { border-collapse: collapse; } td, th { padding: .25rem .75rem .25rem 0; text-align: left; vertical-align: top; }
  a.button, button { display: inline-block; padding: .4rem .9rem; border: 1px solid #1b1f23; border-radius: 6px; background: #fff; color: inherit; text-decoration: none; cursor: pointer; }
</style>
</head>
<body>
${body}
</body>
</html>
`.html;
}
