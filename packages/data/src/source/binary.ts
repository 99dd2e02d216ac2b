import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { Block, ColumnInput } from '../block/index.ts';
import { blockFromColumns } from '../block/index.ts';
import { DataReadError } from '../errors/index.ts';
import { fileSystemFor } from '../fs/index.ts';
import { fileSource, withPath } from './files.ts';
import type { Datasource, FileReadOptions, ReadTask } from './types.ts';

/**
 * Turns `count` consecutive records (`bytes`, `count * recordBytes` long) into columns. Pure: a
 * worker can run it on the bytes it read. The default gives one uint8 tensor column `bytes`.
 */
export type RecordDecoder = (
  bytes: Uint8Array,
  count: number,
  recordBytes: number,
) => Readonly<Record<string, ColumnInput>>;

const schema = z
  .object({
    recordBytes: z.number().int().positive(),
    headerBytes: z.number().int().nonnegative().default(0),
    blockRows: z.number().int().positive().optional(),
    extensions: z.array(z.string()).optional(),
    includePaths: z.union([z.boolean(), z.string()]).optional(),
    decode: z.custom<RecordDecoder>((v) => typeof v === 'function', 'expected a function').optional(),
  })
  .strict();

export type BinaryRecordsOptions = FileReadOptions & {
  /** Size of one record in bytes. */
  readonly recordBytes: number;
  /** Bytes to skip at the start of each file. */
  readonly headerBytes?: number;
  readonly decode?: RecordDecoder;
};

const rawBytes: RecordDecoder = (bytes, count, recordBytes) => ({
  bytes: { data: bytes, shape: [count, recordBytes] },
});

/** Fixed-size binary records; each file is split into blocks read lazily with ranged reads. */
export function binaryRecordsSource(
  paths: string | readonly string[],
  options: BinaryRecordsOptions,
): Datasource {
  const opts = parseConfig(schema, options, 'readBinaryRecords options');
  // Default: ~4 MiB of records per block (decoders may widen them, e.g. to float32).
  const blockRows = opts.blockRows ?? Math.max(1, Math.floor((4 << 20) / opts.recordBytes));
  const decode = opts.decode ?? rawBytes;
  return fileSource('readBinaryRecords', paths, opts.extensions, (file) => {
    const body = file.size - opts.headerBytes;
    if (body < 0 || body % opts.recordBytes !== 0) {
      throw new DataReadError(
        file.path,
        `size ${file.size} bytes is not ${opts.headerBytes ? `${opts.headerBytes} header bytes plus ` : ''}a whole number of ${opts.recordBytes}-byte records (a truncated or wrong file)`,
        Math.floor(Math.max(0, body) / opts.recordBytes) + 1,
      );
    }
    const records = body / opts.recordBytes;
    const tasks: ReadTask[] = [];
    for (let start = 0; start < records; start += blockRows) {
      const count = Math.min(blockRows, records - start);
      const from = opts.headerBytes + start * opts.recordBytes;
      tasks.push({
        name: `readBinaryRecords:${file.path}[${start}:${start + count}]`,
        estimatedRows: count,
        estimatedBytes: count * opts.recordBytes,
        estimatedBlocks: 1,
        async *read(): AsyncGenerator<Block> {
          const bytes = await fileSystemFor(file.path).readRange(
            file.path,
            from,
            from + count * opts.recordBytes,
          );
          if (bytes.length !== count * opts.recordBytes) {
            throw new DataReadError(
              file.path,
              `short read: got ${bytes.length} of ${count * opts.recordBytes} bytes`,
              start + Math.floor(bytes.length / opts.recordBytes) + 1,
            );
          }
          yield withPath(
            blockFromColumns(decode(bytes, count, opts.recordBytes)),
            file.path,
            opts.includePaths,
          );
        },
      });
    }
    return tasks;
  });
}
