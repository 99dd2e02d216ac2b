/**
 * Persisting checkpoints under a run folder, `<storagePath>/<name>/checkpoint_000000/`, and
 * finding the complete ones. Files go first, the marker last: a crash at any moment leaves a
 * folder without a marker, which listing ignores, and which persisting the same index again
 * clears before writing.
 */
import { stat } from 'node:fs/promises';
import { joinUri, type Storage, type StorageOptions, storageFor } from '../storage/index.ts';
import { Checkpoint } from './checkpoint.ts';
import { CheckpointError } from './errors.ts';
import { MARKER_FILE, parseMarker } from './marker.ts';
import type { CheckpointMarker, PersistedCheckpoint } from './types.ts';

const DIR_PATTERN = /^checkpoint_(\d{6,})$/;

/** `checkpoint_000042` */
export function checkpointDirName(index: number): string {
  if (!Number.isInteger(index) || index < 0) {
    throw new CheckpointError(`A checkpoint index must be a non-negative integer, got ${index}`, {
      code: 'CHECKPOINT_INVALID_INDEX',
    });
  }
  return `checkpoint_${String(index).padStart(6, '0')}`;
}

/** The index in `checkpoint_000042`, or undefined for other names. */
export function parseCheckpointDirName(name: string): number | undefined {
  const match = DIR_PATTERN.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The run folder `<storagePath>/<name>`. */
export function runUri(storagePath: string, name: string): string {
  return joinUri(storagePath, name);
}

export interface PersistOptions {
  /** N in `checkpoint_N`. */
  index: number;
  /** Metrics reported with the checkpoint, kept in its marker. */
  metrics?: Record<string, unknown>;
  storage?: StorageOptions;
}

/**
 * Copies `source` into `<runDir>/checkpoint_<index>/` and marks it complete, returning the
 * persisted checkpoint. Leftovers of an earlier, interrupted attempt at the same index are
 * deleted first.
 */
export async function persistCheckpoint(
  source: Checkpoint,
  runDir: string,
  options: PersistOptions,
): Promise<Checkpoint> {
  const name = checkpointDirName(options.index);
  const run = storageFor(runDir, options.storage);
  const target = run.child(name);
  try {
    if (target.uri === source.uri)
      throw new CheckpointError(`${source} is already at ${target.uri}`, { uri: source.uri });
    // A remote source is downloaded first (and the download removed afterwards).
    await source.asDirectory(async (localDir) => {
      if (source.isLocal && !(await stat(localDir).catch(() => undefined))?.isDirectory()) {
        throw new CheckpointError(`Checkpoint folder ${localDir} does not exist`, {
          uri: source.uri,
          code: 'CHECKPOINT_NOT_FOUND',
        });
      }
      // Leftovers of an interrupted earlier attempt: marker first, so they never look complete.
      const leftovers = await target.list('');
      if (leftovers.length > 0) {
        await target.deletePrefix(MARKER_FILE);
        await run.deletePrefix(name);
      }
      const uploaded = await target.uploadDirectory(localDir, '', { exclude: (p) => p === MARKER_FILE });
      const marker: CheckpointMarker = {
        version: 1,
        index: options.index,
        createdAt: new Date().toISOString(),
        metrics: options.metrics ?? {},
        files: Object.fromEntries(uploaded.files.map((f) => [f.path, f.size])),
      };
      await target.writeTextAtomic(MARKER_FILE, JSON.stringify(marker));
    });
    return Checkpoint.fromUri(target.uri, options.storage ?? {});
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`Persisting ${source} to ${target.uri} failed: ${(error as Error).message}`, {
      uri: target.uri,
      cause: error,
    });
  } finally {
    await run.close();
  }
}

/** The complete checkpoints under `runDir`, oldest index first; incomplete folders are skipped. */
export async function listCheckpoints(
  runDir: string,
  options: { storage?: StorageOptions } = {},
): Promise<PersistedCheckpoint[]> {
  const run = storageFor(runDir, options.storage);
  try {
    const found: PersistedCheckpoint[] = [];
    for (const index of await markedIndexes(run)) {
      const persisted = await readPersisted(run, index, options.storage);
      if (persisted) found.push(persisted);
    }
    return found;
  } finally {
    await run.close();
  }
}

/** The complete checkpoint with the highest index under `runDir`, if any. */
export async function latestCheckpoint(
  runDir: string,
  options: { storage?: StorageOptions } = {},
): Promise<PersistedCheckpoint | undefined> {
  const run = storageFor(runDir, options.storage);
  try {
    for (const index of (await markedIndexes(run)).reverse()) {
      const persisted = await readPersisted(run, index, options.storage);
      if (persisted) return persisted;
    }
    return undefined;
  } finally {
    await run.close();
  }
}

/** Indexes of `checkpoint_N` folders that hold a marker file, ascending. */
async function markedIndexes(run: Storage): Promise<number[]> {
  const indexes: number[] = [];
  for (const path of await run.list('')) {
    const [dir, file, ...rest] = path.split('/');
    if (file !== MARKER_FILE || rest.length > 0) continue;
    const index = parseCheckpointDirName(dir);
    if (index !== undefined) indexes.push(index);
  }
  return indexes.sort((a, b) => a - b);
}

async function readPersisted(
  run: Storage,
  index: number,
  storage?: StorageOptions,
): Promise<PersistedCheckpoint | undefined> {
  const name = checkpointDirName(index);
  const text = await run.readText(`${name}/${MARKER_FILE}`).catch((error: { code?: string }) => {
    if (error.code === 'STORAGE_NOT_FOUND') return undefined;
    throw error;
  });
  const marker = text === undefined ? undefined : parseMarker(text);
  if (!marker || marker.index !== index) return undefined;
  return { checkpoint: Checkpoint.fromUri(run.uriOf(name), storage ?? {}), index, marker };
}
