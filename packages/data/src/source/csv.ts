import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { Block, ColumnInput } from '../block/index.ts';
import { blockFromColumns } from '../block/index.ts';
import { DataReadError } from '../errors/index.ts';
import type { FileRef } from '../fs/index.ts';
import { fileSystemFor } from '../fs/index.ts';
import type { CsvRecord } from './csv_parser.ts';
import { CsvParser } from './csv_parser.ts';
import { fileSource, textChunks, withPath } from './files.ts';
import type { Datasource, FileReadOptions } from './types.ts';

const CsvColumnType = z.enum(['float64', 'float32', 'int32', 'string', 'bool']);
export type CsvColumnType = z.infer<typeof CsvColumnType>;

const schema = z
  .object({
    blockRows: z.number().int().positive().default(4096),
    extensions: z.array(z.string()).optional(),
    includePaths: z.union([z.boolean(), z.string()]).optional(),
    delimiter: z.string().length(1).default(','),
    /** Column names when the files have no header row. */
    columnNames: z.array(z.string()).optional(),
    /** Force column types; others are inferred per block (all numeric -> float64, else string). */
    columnTypes: z.record(z.string(), CsvColumnType).optional(),
  })
  .strict();

export type CsvReadOptions = FileReadOptions & {
  readonly delimiter?: string;
  readonly columnNames?: readonly string[];
  readonly columnTypes?: Readonly<Record<string, CsvColumnType>>;
};

export function csvSource(paths: string | readonly string[], options: CsvReadOptions = {}): Datasource {
  const opts = parseConfig(schema, options, 'readCsv options');
  return fileSource('readCsv', paths, opts.extensions ?? ['.csv', '.tsv', '.txt'], (file) => [
    { name: `readCsv:${file.path}`, estimatedBytes: file.size * 2, read: () => readCsvFile(file, opts) },
  ]);
}

async function* readCsvFile(file: FileRef, opts: z.output<typeof schema>): AsyncGenerator<Block> {
  const parser = new CsvParser(opts.delimiter);
  let header: string[] | undefined = opts.columnNames ? [...opts.columnNames] : undefined;
  let pending: CsvRecord[] = [];
  let row = 0;
  const take = (records: CsvRecord[]): Block[] => {
    const blocks: Block[] = [];
    for (const record of records) {
      if (!header) {
        header = record.fields.map((f) => f.trim());
        continue;
      }
      row++;
      if (record.fields.length !== header.length) {
        throw new DataReadError(
          file.path,
          `line ${record.line} has ${record.fields.length} fields, expected ${header.length} (${header.join(', ')})`,
          row,
        );
      }
      pending.push(record);
      if (pending.length >= opts.blockRows) {
        blocks.push(
          withPath(toBlock(header, pending, opts.columnTypes, file.path), file.path, opts.includePaths),
        );
        pending = [];
      }
    }
    return blocks;
  };
  try {
    for await (const text of textChunks(fileSystemFor(file.path).readStream(file.path)))
      yield* take(parser.push(text));
    yield* take(parser.end());
  } catch (cause) {
    if (cause instanceof DataReadError) throw cause;
    throw new DataReadError(file.path, (cause as Error).message, undefined, { cause });
  }
  if (parser.unterminatedQuote)
    throw new DataReadError(file.path, 'file ends inside a quoted field', row + 1);
  if (header && pending.length > 0)
    yield withPath(toBlock(header, pending, opts.columnTypes, file.path), file.path, opts.includePaths);
}

function toBlock(
  header: string[],
  records: CsvRecord[],
  types: Record<string, CsvColumnType> | undefined,
  path: string,
): Block {
  const columns: Record<string, ColumnInput> = {};
  header.forEach((name, j) => {
    const values = records.map((r) => r.fields[j]);
    columns[name] = convert(values, types?.[name] ?? infer(values), name, records, path);
  });
  return blockFromColumns(columns);
}

function infer(values: string[]): CsvColumnType {
  let any = false;
  for (const v of values) {
    if (v === '') continue;
    any = true;
    if (Number.isNaN(Number(v)) || v.trim() === '') return 'string';
  }
  return any ? 'float64' : 'string';
}

function convert(
  values: string[],
  type: CsvColumnType,
  name: string,
  records: CsvRecord[],
  path: string,
): ColumnInput {
  if (type === 'string') return values;
  if (type === 'bool') return values.map((v) => v.toLowerCase() === 'true' || v === '1');
  const out =
    type === 'float32'
      ? new Float32Array(values.length)
      : type === 'int32'
        ? new Int32Array(values.length)
        : new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const n = values[i] === '' ? Number.NaN : Number(values[i]);
    if (Number.isNaN(n) && (values[i] !== '' || type === 'int32')) {
      throw new DataReadError(
        path,
        `line ${records[i].line}: column "${name}" value ${JSON.stringify(values[i])} is not a number`,
      );
    }
    out[i] = n;
  }
  return out;
}
