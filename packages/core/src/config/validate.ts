import type { z } from 'zod';
import { ConfigError } from '../errors/errors.ts';

/**
 * Parse `value` with `schema`, or throw a ConfigError whose message names every bad field,
 * the value given and what was expected (zod's message lists allowed enum values).
 */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    const given = valueAt(value, issue.path as PropertyKey[]);
    const shown = given === undefined ? 'missing' : `got ${preview(given)}`;
    return `${what}.${path}: ${issue.message} (${shown})`.replace(`${what}.(root)`, what);
  });
  throw new ConfigError(`Invalid ${what}:\n  ${issues.join('\n  ')}`, issues);
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function preview(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}
