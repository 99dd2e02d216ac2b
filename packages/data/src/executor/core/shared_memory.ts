import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Block, Column, NumericDType, TypedArray } from '../../block/index.ts';
import { isNumeric } from '../../block/index.ts';

/**
 * Same-machine fast path for moving blocks between processes. Messages through the cluster's
 * NATS connection copy a payload several times (encode, chunk, socket, reassemble, decode); for
 * blocks of typed arrays it is far cheaper to write the column bytes once to a file in tmpfs
 * (/dev/shm) and send only its name: the receiver reads it with one copy and deletes it. Used
 * only when every node of the cluster runs on this host; below `MIN_BYTES` blocks go inline.
 */
const MIN_BYTES = 128 << 10;
const ROOT = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** A block whose numeric columns live in `file` (offsets in bytes, 8-aligned). */
export interface SharedBlock {
  readonly numRows: number;
  readonly sharedFile: string;
  readonly columns: Readonly<Record<string, Column | SharedColumn>>;
}
interface SharedColumn {
  readonly dtype: NumericDType;
  readonly shape: readonly number[];
  readonly byteOffset: number;
  readonly length: number;
}

let counter = 0;

/** A folder for this execution's files; remove it with `removeSharedDir` when done. */
export function createSharedDir(): string {
  const dir = join(ROOT, `manta-data-${process.pid}-${Date.now().toString(36)}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  created.add(dir);
  return dir;
}

const created = new Set<string>();
process.once('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function removeSharedDir(dir: string): void {
  created.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

const ctors = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;

/** `block` ready to send: numeric columns written to a file under `dir` when that pays off. */
export function shareBlock(block: Block, dir: string | undefined): Block | SharedBlock {
  if (!dir) return block;
  let bytes = 0;
  for (const c of Object.values(block.columns))
    if (isNumeric(c.dtype)) bytes += align((c.data as TypedArray).byteLength);
  if (bytes < MIN_BYTES) return block;
  const columns: Record<string, Column | SharedColumn> = {};
  const file = join(dir, `${process.pid}-${(counter++).toString(36)}.blk`);
  const fd = openSync(file, 'w');
  try {
    let offset = 0;
    for (const [name, c] of Object.entries(block.columns)) {
      if (!isNumeric(c.dtype)) {
        columns[name] = c;
        continue;
      }
      const data = c.data as TypedArray;
      // Column bytes go straight from the typed array to the file: no staging copy.
      writeSync(
        fd,
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        0,
        data.byteLength,
        offset,
      );
      columns[name] = {
        dtype: c.dtype as NumericDType,
        shape: c.shape,
        byteOffset: offset,
        length: data.length,
      };
      offset += align(data.byteLength);
    }
  } finally {
    closeSync(fd);
  }
  return { numRows: block.numRows, sharedFile: file, columns };
}

export function isSharedBlock(value: unknown): value is SharedBlock {
  return typeof (value as SharedBlock | null)?.sharedFile === 'string';
}

/** The block a `shareBlock` result stands for (reads and deletes its file). */
export function unshareBlock(value: Block | SharedBlock): Block {
  if (!isSharedBlock(value)) return value;
  const bytes = readFileSync(value.sharedFile);
  unlinkSync(value.sharedFile);
  const columns: Record<string, Column> = {};
  for (const [name, c] of Object.entries(value.columns)) {
    if (!('byteOffset' in c)) {
      columns[name] = c;
      continue;
    }
    const data = new ctors[c.dtype](bytes.buffer, bytes.byteOffset + c.byteOffset, c.length);
    columns[name] = { dtype: c.dtype, shape: c.shape, data } as Column;
  }
  return { numRows: value.numRows, columns };
}

function align(n: number): number {
  return Math.ceil(n / 8) * 8;
}
