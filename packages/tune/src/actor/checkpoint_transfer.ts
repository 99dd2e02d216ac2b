/**
 * Moving checkpoints between a trial process and the experiment when they may be on different
 * machines: the trial process writes straight into the experiment when it can reach it (S3, or
 * a local folder it sees too: same machine or a shared filesystem), and otherwise hands the
 * files over through the object store.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { get, type ObjectRef, put } from '@manta/core';
import { type Storage, storageFor } from '@manta/train';
import type { TrialStorageInfo } from '../executor/index.ts';
import { CHECKPOINT_MARKER, LocalTuneStorage, STORAGE_TOKEN_FILE } from '../storage/index.ts';
import type { CheckpointHandoff } from './protocol.ts';

/** A folder's files, as one object-store value. */
export interface PackedDir {
  readonly files: { readonly path: string; readonly data: Uint8Array }[];
}

export async function packDir(dir: string, prefix = ''): Promise<PackedDir> {
  const files: PackedDir['files'] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await packDir(dir, path)).files);
    else if (entry.isFile()) files.push({ path, data: await readFile(join(dir, path)) });
  }
  return { files };
}

export async function unpackDir(packed: PackedDir, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const file of packed.files) {
    if (file.path.split('/').includes('..')) throw new Error(`refusing checkpoint file path ${file.path}`);
    const target = join(dir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.data);
  }
}

/** How checkpoints cross: `auto` writes into the experiment when reachable, `objectStore` always hands files over. */
export type CheckpointTransfer = 'auto' | 'objectStore';

const remotes = new Map<string, Storage>();
function remoteStorage(uri: string): Storage {
  let storage = remotes.get(uri);
  if (!storage) {
    storage = storageFor(uri);
    remotes.set(uri, storage);
  }
  return storage;
}

/** Experiment folders (path and token) this process has seen: one token read per experiment. */
const seen = new Set<string>();

/** True when this process sees the local experiment folder the driver wrote the token into. */
function seesFolder(info: TrialStorageInfo): boolean {
  if (info.remote || !info.token) return false;
  const key = `${info.experimentPath}\u0000${info.token}`;
  if (seen.has(key)) return true;
  try {
    if (readFileSync(join(info.experimentPath, STORAGE_TOKEN_FILE), 'utf8') !== info.token) return false;
  } catch {
    return false;
  }
  seen.add(key);
  return true;
}

/** The trial process's side: store the trainable's checkpoints, fetch one to resume from. */
export class TrialCheckpoints {
  /** Found out on first use: most trials of a sweep never store or fetch a checkpoint. */
  private reachFound: 'remote' | 'folder' | 'objectStore' | undefined;
  /** Refs handed to the driver: kept alive until it has fetched them (the trial's end). */
  private readonly handed: ObjectRef[] = [];
  private readonly temps: string[] = [];

  constructor(
    private readonly info: TrialStorageInfo | undefined,
    private readonly transfer: CheckpointTransfer,
  ) {}

  private get reach(): 'remote' | 'folder' | 'objectStore' {
    if (this.reachFound === undefined) {
      const info = this.info;
      if (this.transfer === 'objectStore' || !info) this.reachFound = 'objectStore';
      else if (info.remote) this.reachFound = 'remote';
      else this.reachFound = seesFolder(info) ? 'folder' : 'objectStore';
    }
    return this.reachFound;
  }

  /** Put the trainable's checkpoint folder into the experiment at `path` (or hand its files over). */
  async store(localDir: string, path: string | undefined): Promise<CheckpointHandoff> {
    if (this.reach === 'remote' && path && this.info) {
      const remote = remoteStorage(this.info.experimentPath);
      await remote.deletePrefix(path);
      await remote.uploadDirectory(localDir, path, { exclude: (p) => p === CHECKPOINT_MARKER });
      await remote.writeFile(`${path}/${CHECKPOINT_MARKER}`, new Date().toISOString());
      return { stored: path };
    }
    if (this.reach === 'folder' && path && this.info) {
      await new LocalTuneStorage(this.info.experimentPath).putCheckpoint(localDir, path);
      return { stored: path };
    }
    const ref = put(await packDir(localDir));
    this.handed.push(ref);
    return { ref };
  }

  /** A local folder holding the checkpoint at `path` (relative to the experiment). */
  async fetch(path: string, askForFiles: (path: string) => Promise<ObjectRef>): Promise<string> {
    if (this.reach === 'folder' && this.info) return join(this.info.experimentPath, path);
    const dir = await mkdtemp(join(tmpdir(), 'manta-tune-resume-'));
    this.temps.push(dir);
    if (this.reach === 'remote' && this.info) {
      await remoteStorage(this.info.experimentPath).downloadDirectory(path, dir);
    } else {
      await unpackDir((await get(await askForFiles(path))) as PackedDir, dir);
    }
    return dir;
  }

  /** The trial is over: drop handed-over files and temporary copies. */
  async close(): Promise<void> {
    this.handed.length = 0;
    if (this.temps.length === 0) return;
    await Promise.all(this.temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}
