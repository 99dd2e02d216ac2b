import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Storage, storageFor } from '@manta/train';
import { LocalTuneStorage } from './local.ts';
import { CHECKPOINT_MARKER, type FileWrite, type TuneStorage } from './types.ts';

/**
 * An experiment on remote storage (S3): every file lives in a local staging folder, which
 * trainables read and write as plain files, and is copied up as it changes. Whole-file writes
 * (experiment_state.json, params.json) are one PUT each, after every appended file changed
 * before them (result.json, progress.csv) has been uploaded; a checkpoint is uploaded with its
 * completion marker last, before any state naming it. Uploads run one at a time, in order.
 */
export class SyncedTuneStorage implements TuneStorage {
  readonly experimentPath: string;
  private readonly dirty = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  /** Checkpoints trial processes uploaded themselves: remote only until someone needs them here. */
  private readonly remoteOnly = new Set<string>();
  private readonly downloads = new Map<string, Promise<void>>();
  private closed = false;

  private constructor(
    private readonly remote: Storage,
    private readonly local: LocalTuneStorage,
  ) {
    this.experimentPath = remote.uri;
  }

  /**
   * A new experiment at `uri`, staged in a fresh local folder (removed by close()). Staging
   * folders of the same experiment left behind by a driver that was killed are removed first.
   */
  static create(uri: string): SyncedTuneStorage {
    const remote = storageFor(uri);
    removeStaleStaging(remote.uri);
    const staging = mkdtempSync(join(tmpdir(), STAGING_PREFIX));
    writeFileSync(join(staging, STAGING_OWNER_FILE), JSON.stringify({ uri: remote.uri, pid: process.pid }));
    return new SyncedTuneStorage(remote, new LocalTuneStorage(staging));
  }

  /** The experiment at `uri`, its files copied into a fresh staging folder first (restore). */
  static async download(uri: string): Promise<SyncedTuneStorage> {
    const storage = SyncedTuneStorage.create(uri);
    await storage.remote.downloadDirectory('', storage.stagingPath);
    return storage;
  }

  /** The local staging folder. */
  get stagingPath(): string {
    return this.local.experimentPath;
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }

  private async uploadDirty(): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    for (const path of paths) {
      const text = await this.local.readText(path);
      if (text !== undefined) await this.remote.writeFile(path, text);
    }
  }

  async writeText(relPath: string, text: string): Promise<void> {
    await this.local.writeText(relPath, text);
    this.dirty.delete(relPath);
    await this.serial(async () => {
      await this.uploadDirty();
      await this.remote.writeTextAtomic(relPath, text);
    });
  }

  /** Written locally now, uploaded before the next whole-file write (experiment_state.json). */
  async writeBatch(ops: readonly FileWrite[]): Promise<void> {
    await this.local.writeBatch(ops);
    for (const op of ops) this.dirty.add(op.path);
  }

  async appendText(relPath: string, text: string): Promise<void> {
    await this.local.appendText(relPath, text);
    this.dirty.add(relPath);
  }

  readText(relPath: string): Promise<string | undefined> {
    return this.local.readText(relPath);
  }

  exists(relPath: string): Promise<boolean> {
    return this.local.exists(relPath);
  }

  private uploadCheckpoint(relPath: string): Promise<void> {
    return this.serial(async () => {
      await this.remote.deletePrefix(relPath);
      await this.remote.uploadDirectory(join(this.local.experimentPath, relPath), relPath, {
        last: [CHECKPOINT_MARKER],
      });
    });
  }

  async putCheckpoint(localDir: string, relPath: string): Promise<void> {
    await this.local.putCheckpoint(localDir, relPath);
    await this.uploadCheckpoint(relPath);
  }

  async copyCheckpoint(fromRel: string, toRel: string): Promise<void> {
    await this.ensureLocal(fromRel);
    await this.local.copyCheckpoint(fromRel, toRel);
    await this.uploadCheckpoint(toRel);
  }

  async isCheckpointComplete(relPath: string): Promise<boolean> {
    return this.remoteOnly.has(relPath) || this.local.isCheckpointComplete(relPath);
  }

  adoptCheckpoint(relPath: string): void {
    this.remoteOnly.add(relPath);
  }

  /** A checkpoint uploaded by a trial process, copied into the staging folder once. */
  private async ensureLocal(relPath: string): Promise<void> {
    if (!this.remoteOnly.has(relPath)) return;
    let download = this.downloads.get(relPath);
    if (!download) {
      download = (async () => {
        await this.remote.downloadDirectory(relPath, join(this.local.experimentPath, relPath));
        this.remoteOnly.delete(relPath);
      })().finally(() => this.downloads.delete(relPath));
      this.downloads.set(relPath, download);
    }
    await download;
  }

  async localCheckpointDir(relPath: string): Promise<string> {
    await this.ensureLocal(relPath);
    return this.local.localCheckpointDir(relPath);
  }

  localTrialDir(relPath: string): Promise<string> {
    return this.local.localTrialDir(relPath);
  }

  localTrialPath(relPath: string): string {
    return this.local.localTrialPath(relPath);
  }

  async remove(relPath: string): Promise<void> {
    this.remoteOnly.delete(relPath);
    await this.local.remove(relPath);
    this.dirty.delete(relPath);
    await this.serial(() => this.remote.deletePrefix(relPath));
  }

  /** Uploads what is still only local (appended results). */
  async flush(): Promise<void> {
    await this.serial(() => this.uploadDirty());
  }

  /** Uploads what is left, then removes the staging folder (the experiment lives on in S3). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await rm(this.stagingPath, { recursive: true, force: true });
      await this.remote.close();
    }
  }
}

const STAGING_PREFIX = 'manta-tune-';
/** In each staging folder: which experiment it stages, for which process. */
const STAGING_OWNER_FILE = '.manta_staging_owner.json';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes staging folders of experiment `uri` whose driver process is gone (killed mid-sweep). */
export function removeStaleStaging(uri: string, root = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(STAGING_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(root, name);
    try {
      const owner = JSON.parse(readFileSync(join(dir, STAGING_OWNER_FILE), 'utf8')) as {
        uri?: string;
        pid?: number;
      };
      if (
        owner.uri !== uri ||
        typeof owner.pid !== 'number' ||
        (owner.pid !== process.pid && isAlive(owner.pid))
      )
        continue;
      if (owner.pid === process.pid) continue; // a live storage of this process
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // not a staging folder of ours, or already gone
    }
  }
  return removed;
}

/** True for storage paths that are not the local filesystem (`s3://...`). */
export function isRemotePath(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path) && !path.startsWith('file://');
}
