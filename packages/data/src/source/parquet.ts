import { parseConfig } from '@manta/core/internal';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { asyncBufferFromFile, parquetMetadataAsync, parquetScan, parquetSchema } from 'hyparquet';
import { z } from 'zod';
import type { Block, Column, Field, Schema } from '../block/index.ts';
import { sliceBlock } from '../block/index.ts';
import { DataReadError } from '../errors/index.ts';
import type { FileRef } from '../fs/index.ts';
import { fileSystemFor, schemeOf } from '../fs/index.ts';
import { fileSource, withPath } from './files.ts';
import { fromParquetColumn, MANTA_SCHEMA_KEY } from './parquet_columns.ts';
import { registerRemoteReader } from './remote_readers.ts';
import type { Datasource, FileReadOptions, ReadTask } from './types.ts';

const schema = z
  .object({
    blockRows: z.number().int().positive().default(65536),
    extensions: z.array(z.string()).optional(),
    includePaths: z.union([z.boolean(), z.string()]).optional(),
    columns: z.array(z.string()).optional(),
  })
  .strict();

export type ParquetReadOptions = FileReadOptions & { readonly columns?: readonly string[] };

/** One read task per row group; each yields blocks of at most `blockRows` rows. */
export function parquetSource(
  paths: string | readonly string[],
  options: ParquetReadOptions = {},
): Datasource {
  const opts = parseConfig(schema, options, 'readParquet options');
  return fileSource('readParquet', paths, opts.extensions ?? ['.parquet', '.pq'], async (file) => {
    const { buffer, metadata } = await openParquet(file);
    const fields = mantaFields(metadata);
    const tasks: ReadTask[] = [];
    let rowStart = 0;
    metadata.row_groups.forEach((group, g) => {
      const start = rowStart;
      const rows = Number(group.num_rows);
      rowStart += rows;
      tasks.push({
        name: `readParquet:${file.path}#${g}`,
        estimatedRows: rows,
        estimatedBytes: Number(group.total_byte_size),
        estimatedBlocks: Math.max(1, Math.ceil(rows / opts.blockRows)),
        read: () => readGroup(file, buffer, metadata, fields, start, start + rows, opts),
        remote: { reader: 'parquet', args: { file, rowStart: start, rowEnd: start + rows, opts } },
      });
    });
    return tasks;
  });
}

registerRemoteReader(
  'parquet',
  async function* (args: { file: FileRef; rowStart: number; rowEnd: number; opts: z.output<typeof schema> }) {
    const { buffer, metadata } = await openParquet(args.file);
    const fields = mantaFields(metadata);
    yield* readGroup(args.file, buffer, metadata, fields, args.rowStart, args.rowEnd, args.opts);
  },
);

async function openParquet(file: FileRef): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
  const buffer = await openBuffer(file);
  try {
    return { buffer, metadata: await parquetMetadataAsync(buffer) };
  } catch (cause) {
    throw new DataReadError(file.path, `invalid Parquet file: ${(cause as Error).message}`, undefined, {
      cause,
    });
  }
}

async function openBuffer(file: FileRef): Promise<AsyncBuffer> {
  if (schemeOf(file.path) === 'file') return asyncBufferFromFile(file.path);
  const fs = fileSystemFor(file.path);
  return {
    byteLength: file.size,
    slice: async (start, end) => {
      const bytes = await fs.readRange(file.path, start, end ?? file.size);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

function mantaFields(metadata: FileMetaData): Map<string, Field> {
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === MANTA_SCHEMA_KEY);
  if (!entry?.value) return new Map();
  try {
    const parsed = JSON.parse(entry.value) as Schema;
    return new Map(parsed.fields.map((f) => [f.name, f]));
  } catch {
    return new Map();
  }
}

async function* readGroup(
  file: FileRef,
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  fields: Map<string, Field>,
  rowStart: number,
  rowEnd: number,
  opts: z.output<typeof schema>,
): AsyncGenerator<Block> {
  let block: Block;
  try {
    const scan = await parquetScan({ file: buffer, metadata, columns: opts.columns, utf8: false });
    const elements = new Map(parquetSchema(metadata).children.map((c) => [c.element.name, c.element]));
    const names = opts.columns ?? [...elements.keys()];
    const columns: Record<string, Column> = {};
    for (const name of names) {
      const values = await scan.readColumn({ column: name, rowStart, rowEnd });
      columns[name] = fromParquetColumn(values, fields.get(name), elements.get(name)?.type);
    }
    block = { numRows: rowEnd - rowStart, columns };
  } catch (cause) {
    throw new DataReadError(
      file.path,
      `cannot read rows ${rowStart}..${rowEnd - 1}: ${(cause as Error).message}`,
      rowStart + 1,
      { cause },
    );
  }
  for (let start = 0; start < block.numRows; start += opts.blockRows) {
    yield withPath(sliceBlock(block, start, start + opts.blockRows), file.path, opts.includePaths);
  }
}
