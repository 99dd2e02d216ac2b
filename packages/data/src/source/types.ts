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
  /**
   * The same read as plain data, for a worker process to run (see `remote_readers.ts`); absent
   * when the task holds in-memory data or user functions, which are read in this process.
   */
  readonly remote?: RemoteReadSpec;
}

/** A read a worker can redo: a reader registered by name, and its arguments (plain data). */
export interface RemoteReadSpec {
  readonly reader: string;
  readonly args: unknown;
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
