import type { Block } from '../block/index.ts';
import { blockFromColumns } from '../block/index.ts';
import type { FileRef } from '../fs/index.ts';
import { expandPaths } from '../fs/index.ts';
import type { Datasource, FileReadOptions, ReadTask } from './types.ts';

/** Add the `path` column when `includePaths` asks for it. */
export function withPath(block: Block, path: string, includePaths: FileReadOptions['includePaths']): Block {
  if (!includePaths) return block;
  const name = includePaths === true ? 'path' : includePaths;
  const paths = new Array<string>(block.numRows).fill(path);
  return blockFromColumns({ ...block.columns, [name]: paths });
}

/** A datasource over files: expands paths when planned, then asks `tasksFor` per file. */
export function fileSource(
  name: string,
  paths: string | readonly string[],
  extensions: readonly string[] | undefined,
  tasksFor: (file: FileRef) => Promise<ReadTask[]> | ReadTask[],
): Datasource {
  return {
    name,
    async readTasks() {
      const files = await expandPaths(paths, { extensions });
      const tasks: ReadTask[] = [];
      for (const file of files) tasks.push(...(await tasksFor(file)));
      return tasks;
    },
  };
}

/** Decode a byte stream to text chunks (UTF-8, split multi-byte characters handled). */
export async function* textChunks(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of bytes) yield decoder.decode(chunk, { stream: true });
  const tail = decoder.decode();
  if (tail) yield tail;
}
