import { join } from 'node:path';
import type { Block } from '../block/index.ts';
import { fileSystemFor, schemeOf } from '../fs/index.ts';
import { encodeCsv, encodeJsonl, encodeParquet } from '../write/index.ts';

export type WriteFormat = 'parquet' | 'csv' | 'jsonl';

const encoders: Record<WriteFormat, (block: Block) => Uint8Array | string> = {
  parquet: encodeParquet,
  csv: (block) => encodeCsv(block),
  jsonl: encodeJsonl,
};

/** Write each block to `<dir>/<prefix>-00000.<format>`, streaming; returns the files written. */
export async function writeBlocks(
  blocks: AsyncIterable<Block>,
  dir: string,
  format: WriteFormat,
  prefix = 'part',
): Promise<string[]> {
  const fs = fileSystemFor(dir);
  await fs.mkdirs(dir);
  const written: string[] = [];
  for await (const block of blocks) {
    if (block.numRows === 0) continue;
    const name = `${prefix}-${String(written.length).padStart(5, '0')}.${format}`;
    // path.join would fold `s3://` into `s3:/`: URLs are joined as text.
    const path = schemeOf(dir) === 'file' ? join(dir, name) : `${dir.replace(/\/+$/, '')}/${name}`;
    await fs.writeFile(path, encoders[format](block));
    written.push(path);
  }
  return written;
}
