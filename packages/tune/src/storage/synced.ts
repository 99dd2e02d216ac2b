import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Storage, storageFor } from '@manta/train';
import { LocalTuneStorage } from './local.ts';
import { CHECKPOINT_MARKER, type TuneStorage } from './types.ts';

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

  private constructor(
    private readonly remote: Storage,
    private readonly local: LocalTuneStorage,
  ) {
    this.experimentPath = remote.uri;
  }

  /** A new experiment at `uri`, staged in a fresh local folder. */
  static create(uri: string): SyncedTuneStorage {
    const staging = mkdtempSync(join(tmpdir(), 'manta-tune-'));
    return new SyncedTuneStorage(storageFor(uri), new LocalTuneStorage(staging));
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
    await this.local.copyCheckpoint(fromRel, toRel);
    await this.uploadCheckpoint(toRel);
  }

  isCheckpointComplete(relPath: string): Promise<boolean> {
    return this.local.isCheckpointComplete(relPath);
  }

  localCheckpointDir(relPath: string): Promise<string> {
    return this.local.localCheckpointDir(relPath);
  }

  localTrialDir(relPath: string): Promise<string> {
    return this.local.localTrialDir(relPath);
  }

  async remove(relPath: string): Promise<void> {
    await this.local.remove(relPath);
    this.dirty.delete(relPath);
    await this.serial(() => this.remote.deletePrefix(relPath));
  }

  /** Uploads what is still only local (appended results). */
  async flush(): Promise<void> {
    await this.serial(() => this.uploadDirty());
  }
}

/** True for storage paths that are not the local filesystem (`s3://...`). */
export function isRemotePath(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path) && !path.startsWith('file://');
}
