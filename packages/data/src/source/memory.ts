import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { Block, ColumnInput, Row } from '../block/index.ts';
import { blockBytes, blockFromColumns, blockFromRows, sliceBlock } from '../block/index.ts';
import { registerRemoteReader } from './remote_readers.ts';
import type { Datasource, ReadTask } from './types.ts';

const blockRowsSchema = z.object({ blockRows: z.number().int().positive().optional() }).strict();

function blockTasks(name: string, block: Block, blockRows: number): ReadTask[] {
  const tasks: ReadTask[] = [];
  for (let start = 0; start < block.numRows; start += blockRows) {
    const piece = sliceBlock(block, start, start + blockRows);
    tasks.push({
      name: `${name}[${start}:${start + piece.numRows}]`,
      estimatedRows: piece.numRows,
      estimatedBytes: blockBytes(piece),
      estimatedBlocks: 1,
      async *read() {
        yield piece;
      },
    });
  }
  return tasks;
}

async function* rangeBlock({ start, end }: { start: number; end: number }): AsyncGenerator<Block> {
  const id = end > 2 ** 31 - 1 ? new Float64Array(end - start) : new Int32Array(end - start);
  for (let i = 0; i < id.length; i++) id[i] = start + i;
  yield blockFromColumns({ id });
}
registerRemoteReader('range', rangeBlock);

/** `range(n)`: one int32 column `id` = 0..n-1 (float64 past 2^31). */
export function rangeSource(n: number, options: { blockRows?: number } = {}): Datasource {
  parseConfig(z.number().int().nonnegative(), n, 'range.n');
  const { blockRows = 8192 } = parseConfig(blockRowsSchema, options, 'range options');
  return {
    name: 'range',
    async readTasks() {
      const tasks: ReadTask[] = [];
      for (let start = 0; start < n; start += blockRows) {
        const end = Math.min(n, start + blockRows);
        const wide = end > 2 ** 31 - 1;
        tasks.push({
          name: `range[${start}:${end}]`,
          estimatedRows: end - start,
          estimatedBytes: (end - start) * (wide ? 8 : 4),
          estimatedBlocks: 1,
          read: () => rangeBlock({ start, end }),
          remote: { reader: 'range', args: { start, end } },
        });
      }
      return tasks;
    },
  };
}

/** `fromItems(items)`: plain objects become rows; other values become `{ item: value }`. */
export function itemsSource(items: readonly unknown[], options: { blockRows?: number } = {}): Datasource {
  const { blockRows = 4096 } = parseConfig(blockRowsSchema, options, 'fromItems options');
  return {
    name: 'fromItems',
    async readTasks() {
      const tasks: ReadTask[] = [];
      for (let start = 0; start < items.length; start += blockRows) {
        const slice = items.slice(start, start + blockRows);
        tasks.push({
          name: `fromItems[${start}:${start + slice.length}]`,
          estimatedRows: slice.length,
          estimatedBlocks: 1,
          async *read() {
            const rows = slice.map((item) =>
              typeof item === 'object' && item !== null && !Array.isArray(item) && !ArrayBuffer.isView(item)
                ? (item as Row)
                : { item },
            );
            yield blockFromRows(rows);
          },
        });
      }
      return tasks;
    },
  };
}

/** `fromArrays({ x: Float32Array, y: [...] })`: columnar input, sliced into blocks without copies. */
export function arraysSource(
  columns: Readonly<Record<string, ColumnInput>>,
  options: { blockRows?: number } = {},
): Datasource {
  const { blockRows = 8192 } = parseConfig(blockRowsSchema, options, 'fromArrays options');
  const block = blockFromColumns(columns);
  return { name: 'fromArrays', readTasks: async () => blockTasks('fromArrays', block, blockRows) };
}

/** Already-computed blocks (materialized datasets). */
export function blocksSource(blocks: readonly Block[]): Datasource {
  return {
    name: 'blocks',
    async readTasks() {
      return blocks.map((block, i) => ({
        name: `blocks[${i}]`,
        estimatedRows: block.numRows,
        estimatedBytes: blockBytes(block),
        estimatedBlocks: 1,
        async *read() {
          yield block;
        },
      }));
    },
  };
}
