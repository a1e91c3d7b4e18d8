/** The one page each estate app shows: who is signed in here, links to the other apps, sign in or sign out. */

export interface AppPageInput {
  title: string;
  /** The signed-in user, when there is one. */
  user: { name: string; email: string | undefined } | undefined;
  signInUrl: string;
  peers: readonly { title: string; url: string }[];
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function appPage(input: AppPageInput): string {
  const who = input.user
    ? `<p id="who">Signed in as <strong>${esc(input.user.name)}</strong>${input.user.email ? ` (${esc(input.user.email)})` : ''}.</p>
<form method="post" action="/logout?returnTo=/"><button type="submit" id="sign-out">Sign out</button></form>`
    : `<p id="who">Not signed in.</p><p><a class="button" id="sign-in" href="${esc(input.signInUrl)}">Sign in</a></p>`;
  const peers = input.peers.map((p) => `<li><a href="${esc(p.url)}">${esc(p.title)}</a></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f23; }
  a.button, button { display: inline-block; padding: .4rem .9rem; border: 1px solid #1b1f23; border-radius: 6px; background: #fff; color: inherit; text-decoration: none; cursor: pointer; font: inherit; }
</style>
</head>
<body>
<h1>${esc(input.title)}</h1>
${who}
${peers ? `<h2>Other apps of the estate</h2><ul>${peers}</ul>` : ''}
<p><a href="/me">/me</a> (this app's session as JSON)</p>
</body>
</html>
`;
}
