/** True when `pattern` has glob syntax (`*`, `?`, `[...]`, `{a,b}`). */
export function hasGlob(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/** The directory part of a glob before its first wildcard segment. */
export function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const first = parts.findIndex((p) => hasGlob(p));
  const base = parts.slice(0, first).join('/');
  return base === '' ? (pattern.startsWith('/') ? '/' : '.') : base;
}

/**
 * Compile a glob to a RegExp over '/'-separated paths: `*` and `?` stay within a segment,
 * `**` spans segments, `[abc]` is a class, `{a,b}` an alternation.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += `[${pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += /[.+^$()|\\/]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}
