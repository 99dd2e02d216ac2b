import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  FailureThrottle,
  hostAllowed,
  hostHeaderName,
  isLoopbackHost,
  Sessions,
  tokenMatches,
} from './security.ts';

describe('dashboard security checks', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.2', 'example.com', '128.0.0.1', '127.example'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('reads the name of a Host header', () => {
    expect(hostHeaderName('Example.COM:8265')).toBe('example.com');
    expect(hostHeaderName('[::1]:8265')).toBe('::1');
    expect(hostHeaderName('127.0.0.1')).toBe('127.0.0.1');
  });

  it('accepts IP literals and localhost, and refuses other names on loopback (DNS rebinding)', () => {
    for (const host of ['127.0.0.1:8265', 'localhost:8265', '[::1]:8265', '192.0.2.2:8265'])
      expect(hostAllowed(host, true, []), host).toBe(true);
    for (const host of [
      undefined,
      '',
      'evil.example:8265',
      'localhost.evil.example',
      `${hostname()}:8265`,
      'a@b',
    ])
      expect(hostAllowed(host, true, []), String(host)).toBe(false);
  });

  it('accepts this machine and allowedHosts when reachable from elsewhere', () => {
    expect(hostAllowed(`${hostname()}:8265`, false, [])).toBe(true);
    expect(hostAllowed('head.cluster.internal:8265', false, ['head.cluster.internal'])).toBe(true);
    expect(hostAllowed('evil.example:8265', false, ['head.cluster.internal'])).toBe(false);
  });

  it('compares tokens', () => {
    expect(tokenMatches('secret-token', 'secret-token')).toBe(true);
    expect(tokenMatches('secret-tokem', 'secret-token')).toBe(false);
    expect(tokenMatches('secret', 'secret-token')).toBe(false);
    expect(tokenMatches('', 'secret-token')).toBe(false);
    expect(tokenMatches(undefined, 'secret-token')).toBe(false);
  });

  it('opens and closes sessions; the cookie is HttpOnly and SameSite=Strict', () => {
    const sessions = new Sessions();
    const id = sessions.open();
    expect(sessions.valid(id)).toBe(true);
    expect(sessions.valid(`${id}x`)).toBe(false);
    expect(sessions.valid(undefined)).toBe(false);
    expect(sessions.cookie(id)).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    sessions.close(id);
    expect(sessions.valid(id)).toBe(false);
  });

  it('blocks an address after too many wrong tokens, others not', () => {
    const throttle = new FailureThrottle(3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(throttle.blocked('10.0.0.9')).toBe(false);
      throttle.fail('10.0.0.9');
    }
    expect(throttle.blocked('10.0.0.9')).toBe(true);
    expect(throttle.blocked('10.0.0.8')).toBe(false);
    const expired = new FailureThrottle(1, -1);
    expired.fail('10.0.0.9');
    expect(expired.blocked('10.0.0.9')).toBe(false);
  });
});
