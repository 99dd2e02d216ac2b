import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../errors/index.ts';
import { parseConfig } from './validate.ts';

describe('config - parseConfig', () => {
  const schema = z.object({ numWorkers: z.number().int().positive(), mode: z.enum(['min', 'max']) }).strict();

  it('returns the parsed value when valid', () => {
    expect(parseConfig(schema, { numWorkers: 2, mode: 'max' }, 'scalingConfig')).toEqual({
      numWorkers: 2,
      mode: 'max',
    });
  });

  it('names the bad field, the value given and the allowed values', () => {
    let error: unknown;
    try {
      parseConfig(schema, { numWorkers: 0, mode: 'best' }, 'scalingConfig');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('scalingConfig.numWorkers');
    expect(message).toContain('got 0');
    expect(message).toContain('scalingConfig.mode');
    expect(message).toMatch(/"min"/);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
  });
});
