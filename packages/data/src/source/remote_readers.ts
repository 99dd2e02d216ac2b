import type { Block } from '../block/index.ts';
import { DataUsageError } from '../errors/index.ts';
import type { RemoteReadSpec } from './types.ts';

type Reader = (args: never) => AsyncIterable<Block>;

/**
 * Readers a worker process can run from a `RemoteReadSpec`. Reader modules register theirs at
 * import, so importing the sources registers every one, in the driver and in workers alike.
 */
const readers = new Map<string, Reader>();

export function registerRemoteReader<A>(name: string, read: (args: A) => AsyncIterable<Block>): void {
  readers.set(name, read as Reader);
}

export function runRemoteRead(spec: RemoteReadSpec): AsyncIterable<Block> {
  const read = readers.get(spec.reader);
  if (!read) {
    throw new DataUsageError(
      `no remote reader "${spec.reader}"; known: ${[...readers.keys()].join(', ') || 'none'}`,
    );
  }
  return read(spec.args as never);
}
