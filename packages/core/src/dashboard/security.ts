import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

/**
 * The dashboard's request checks. Ray's dashboard accepted job submissions from anyone who
 * could reach it (CVE-2023-48022); this one is read-only, binds to loopback by default, and
 * wants the cluster token on every request when it is reachable from elsewhere.
 */

export const SESSION_COOKIE = 'manta_dashboard';
const SESSION_TTL_MS = 12 * 3600_000;
const MAX_SESSIONS = 10_000;

/** Strict CSP: only our own script, style and fetches; no inline code, no framing, no plugins. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not no-referrer: Chromium then sends `Origin: null` on our own login form, which we must refuse.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = stripBrackets(host).toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The host name of a Host header value (`name:port`, `[v6]:port`, `name`), lowercased. */
export function hostHeaderName(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith('[')) return v.slice(1, v.indexOf(']') > 0 ? v.indexOf(']') : undefined);
  const colon = v.lastIndexOf(':');
  return colon >= 0 && v.indexOf(':') === colon ? v.slice(0, colon) : v;
}

/**
 * DNS rebinding defence: a page on evil.example whose name is re-pointed at 127.0.0.1 reaches
 * us with `Host: evil.example`. A Host that is an IP literal cannot be a rebinding (the page's
 * origin is then that IP itself), so we accept IP literals, `localhost`, and, when the
 * dashboard is reachable from other machines, this machine's host name and `allowedHosts`.
 */
export function hostAllowed(
  hostHeader: string | undefined,
  loopbackOnly: boolean,
  allowedHosts: string[],
): boolean {
  if (!hostHeader) return false;
  const name = hostHeaderName(hostHeader);
  if (name === '' || name.includes('/') || name.includes('@')) return false;
  if (isIP(name) !== 0 || name === 'localhost') return true;
  if (loopbackOnly) return false;
  if (name === hostname().toLowerCase()) return true;
  return allowedHosts.some((h) => h.toLowerCase() === name);
}

/**
 * Cross-origin requests: a browser names the calling page in Origin and Sec-Fetch-Site. API
 * calls and form posts must come from our own page; top-level navigation may come from anywhere.
 */
export function sameOriginRequest(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === (req.headers.host ?? '').toLowerCase();
  } catch {
    return false;
  }
}

/** Constant-time token comparison (hashing first makes the lengths equal). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined || given === '') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Browser sessions opened by logging in with the token: random ids, expiring, capped in number. */
export class Sessions {
  private readonly sessions = new Map<string, number>();

  open(): string {
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, Date.now() + SESSION_TTL_MS);
    return id;
  }

  valid(id: string | undefined): boolean {
    if (!id) return false;
    const expires = this.sessions.get(id);
    if (expires === undefined) return false;
    if (expires < Date.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  cookie(id: string): string {
    return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
  }

  static clearCookie(): string {
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}

/**
 * Slows token guessing: after `maxFailures` wrong tokens from one address within `windowMs`,
 * that address is refused until the window ends. (A generated token is 192 bits, but
 * `--token` accepts 8 characters.)
 */
export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 60_000,
  ) {}

  blocked(address: string | undefined): boolean {
    const entry = this.failures.get(address ?? '');
    if (!entry) return false;
    if (entry.until < Date.now()) {
      this.failures.delete(address ?? '');
      return false;
    }
    return entry.count >= this.maxFailures;
  }

  fail(address: string | undefined): void {
    const key = address ?? '';
    const entry = this.failures.get(key);
    if (entry && entry.until >= Date.now()) entry.count++;
    else {
      if (this.failures.size >= MAX_SESSIONS) this.failures.clear();
      this.failures.set(key, { count: 1, until: Date.now() + this.windowMs });
    }
  }
}
