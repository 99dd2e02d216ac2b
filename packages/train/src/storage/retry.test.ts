import { describe, expect, it } from 'vitest';
import { isTransientError, withRetries } from './retry.ts';

const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('storage retry', () => {
  it('storage retry - classifies network, throttling and 5xx errors as transient', () => {
    expect(isTransientError(reset())).toBe(true);
    expect(isTransientError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransientError({ name: 'Whatever', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isTransientError(new Error('wrapped', { cause: reset() }))).toBe(true);
    expect(isTransientError({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isTransientError({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
  });

  it('storage retry - retries transient failures until one succeeds', async () => {
    const seen: number[] = [];
    const value = await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw reset();
        return 'ok';
      },
      { baseDelayMs: 1 },
    );
    expect(value).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('storage retry - gives up after the attempts and passes other errors at once', async () => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw reset();
        },
        { attempts: 3, baseDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      withRetries(async () => {
        calls++;
        throw new Error('denied');
      }),
    ).rejects.toThrow('denied');
    expect(calls).toBe(1);
  });
});
