import type { Block } from '../block/index.ts';

/**
 * One unit of reading: a file, part of a file, or a slice of in-memory data. `read` is lazy and
 * may yield several blocks; a core-backed executor ships read tasks to workers as tasks.
 */
export interface ReadTask {
  readonly name: string;
  /** Estimated rows and in-memory bytes of everything this task yields, when known. */
  readonly estimatedRows?: number;
  readonly estimatedBytes?: number;
  /** Estimated blocks this task yields (for per-block size estimates). */
  readonly estimatedBlocks?: number;
  read(): AsyncIterable<Block>;
}

/** A planned source: turns paths or data into read tasks when the dataset executes. */
export interface Datasource {
  readonly name: string;
  readTasks(): Promise<ReadTask[]>;
}

/** Options every file reader accepts. */
export interface FileReadOptions {
  /** Rows per block (readers split files into blocks of at most this many rows). */
  readonly blockRows?: number;
  /** File name extensions to keep when a path is a folder or glob. */
  readonly extensions?: readonly string[];
  /** Add a column with this name holding each row's source file path. */
  readonly includePaths?: boolean | string;
}
