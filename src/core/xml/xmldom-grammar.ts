/**
 * xmldom 0.9's SAX parser compiles a new RegExp for every end tag it reads (`sax.js`:
 * `g.reg('^', g.QName_group, g.S_OPT, '$')`, a pattern of about 700 characters with the `u` flag): 19% of the
 * CPU time of validating a response in the profile of issue #16, and about a fifth of xmldom's parse time on its
 * own (`npm run bench:parsers`). 0.9.12 is the newest release, so the fix is made here, from our side, rather
 * than with a patch of node_modules that would only ever run in this repository, never in an app that
 * installs the package.
 *
 * `sax.js` calls the grammar module's `reg` through its exports object at each use, so replacing that one
 * property with a memoised version is enough. It is safe because what `reg` returns is stateless: it only ever
 * sets the `u` flag (never `g` or `y`, whose `lastIndex` would make a shared RegExp stateful), and its callers
 * only `exec`/`test` it or read its `source` and `flags`. Only calls built entirely from the grammar's own
 * patterns and string literals are cached, so the cache is bounded by xmldom's source, whatever the input.
 * If a future xmldom no longer has `reg`, nothing is replaced and parsing is merely slower.
 */
import { createRequire } from 'node:module';

type RegFn = (...parts: (string | RegExp)[]) => RegExp;
type Grammar = Record<string, unknown> & { reg?: RegFn };

const LEAF = Symbol('regexp');
type Trie = Map<unknown, Trie> & { [LEAF]?: RegExp };

let installed = false;

/**
 * Replaces xmldom's `grammar.reg` with a memoised equivalent (idempotent). Returns whether it is in place.
 *
 * @example
 * ```ts
 * memoizeXmldomGrammar(); // true once installed
 * ```
 */
export function memoizeXmldomGrammar(): boolean {
  if (installed) return true;
  const grammar = createRequire(import.meta.url)('@xmldom/xmldom/lib/grammar.js') as Grammar;
  const original = grammar.reg;
  if (typeof original !== 'function') return false;
  // The grammar's own patterns: module constants, never mutated, so their identity is a safe cache key.
  const own = new Set(Object.values(grammar).filter((v): v is RegExp => v instanceof RegExp));
  const root: Trie = new Map();
  const memoized: RegFn = function (this: unknown, ...parts) {
    let node = root;
    for (const part of parts) {
      if (typeof part !== 'string' && !own.has(part)) return original.apply(this, parts);
      let next = node.get(part);
      if (!next) {
        next = new Map();
        node.set(part, next);
      }
      node = next;
    }
    let compiled = node[LEAF];
    if (!compiled) {
      compiled = original.apply(this, parts);
      // Only stateless expressions may be shared (see above); anything else is compiled per call as before.
      if (compiled.global || compiled.sticky) return compiled;
      node[LEAF] = compiled;
    }
    return compiled;
  };
  grammar.reg = memoized;
  installed = true;
  return true;
}
