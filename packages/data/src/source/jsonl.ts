import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { Block, Row } from '../block/index.ts';
import { blockFromRows } from '../block/index.ts';
import { DataReadError } from '../errors/index.ts';
import type { FileRef } from '../fs/index.ts';
import { fileSystemFor } from '../fs/index.ts';
import { fileSource, textChunks, withPath } from './files.ts';
import type { Datasource, FileReadOptions } from './types.ts';

const schema = z
  .object({
    blockRows: z.number().int().positive().default(4096),
    extensions: z.array(z.string()).optional(),
    includePaths: z.union([z.boolean(), z.string()]).optional(),
  })
  .strict();

/** JSON Lines: one JSON object per line; blank lines are skipped. */
export function jsonlSource(paths: string | readonly string[], options: FileReadOptions = {}): Datasource {
  const opts = parseConfig(schema, options, 'readJsonl options');
  return fileSource('readJsonl', paths, opts.extensions ?? ['.jsonl', '.ndjson', '.json'], (file) => [
    { name: `readJsonl:${file.path}`, estimatedBytes: file.size * 2, read: () => readJsonlFile(file, opts) },
  ]);
}

async function* readJsonlFile(file: FileRef, opts: z.output<typeof schema>): AsyncGenerator<Block> {
  let rows: Row[] = [];
  let carry = '';
  let line = 0;
  let row = 0;
  const parse = (text: string): Row | undefined => {
    line++;
    if (text.trim() === '') return undefined;
    row++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new DataReadError(file.path, `line ${line}: invalid JSON: ${(cause as Error).message}`, row, {
        cause,
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DataReadError(
        file.path,
        `line ${line}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
        row,
      );
    }
    return value as Row;
  };
  const flush = (): Block => {
    const block = withPath(blockFromRows(rows), file.path, opts.includePaths);
    rows = [];
    return block;
  };
  let chunks: AsyncIterable<string>;
  try {
    chunks = textChunks(fileSystemFor(file.path).readStream(file.path));
  } catch (cause) {
    throw new DataReadError(file.path, (cause as Error).message, undefined, { cause });
  }
  for await (const text of chunks) {
    const lines = (carry + text).split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) {
      const r = parse(l.endsWith('\r') ? l.slice(0, -1) : l);
      if (r) rows.push(r);
      if (rows.length >= opts.blockRows) yield flush();
    }
  }
  const last = parse(carry);
  if (last) rows.push(last);
  if (rows.length > 0) yield flush();
}
