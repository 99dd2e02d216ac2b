/**
 * The little storage @manta/tune needs for an experiment folder: paths are relative to the
 * experiment root (`storagePath/name`). A local-filesystem implementation lives beside this;
 * the fs/S3 Storage of @manta/train can be adapted to it.
 */
export interface TuneStorage {
  /** The experiment root as the user would pass it to Tuner.restore. */
  readonly experimentPath: string;
  /** Write a whole file atomically (temp file + rename): readers see old or new, never half. */
  writeText(relPath: string, text: string): Promise<void>;
  appendText(relPath: string, text: string): Promise<void>;
  /** Several whole-file writes (atomic each) and appends at once, in order per file. */
  writeBatch?(ops: readonly FileWrite[]): Promise<void>;
  /** The file's text, or undefined when it does not exist. */
  readText(relPath: string): Promise<string | undefined>;
  exists(relPath: string): Promise<boolean>;
  /** Copy a local directory in as a checkpoint; the completion marker is written last. */
  putCheckpoint(localDir: string, relPath: string): Promise<void>;
  /** Copy a checkpoint inside the experiment (PBT's exploit). */
  copyCheckpoint(fromRel: string, toRel: string): Promise<void>;
  /** True when the checkpoint exists and its completion marker was written. */
  isCheckpointComplete(relPath: string): Promise<boolean>;
  /** A local directory holding the checkpoint's files, for trainables to read. */
  localCheckpointDir(relPath: string): Promise<string>;
  /** A local path for a trial's working folder (created). */
  localTrialDir(relPath: string): Promise<string>;
  /**
   * The same path, not created: for trials in other processes, which make the folder when
   * they use it (so a sweep of short trials costs the driver no folder of its own per trial).
   */
  localTrialPath?(relPath: string): string;
  remove(relPath: string): Promise<void>;
  /**
   * Take note of a checkpoint a trial process wrote straight into the experiment (remote
   * storage: it is not in the local staging folder until someone needs it there).
   */
  adoptCheckpoint?(relPath: string): void;
  /** Wait until every change so far is durable (remote storage uploads in the background). */
  flush?(): Promise<void>;
  /** The experiment is over here: flush, then release local resources (remote: the staging folder). */
  close?(): Promise<void>;
}

export interface FileWrite {
  readonly path: string;
  readonly text: string;
  /** Append to the file instead of replacing it. */
  readonly append: boolean;
}

/** A local experiment's identity: trial processes that read the same token see the same folder. */
export const STORAGE_TOKEN_FILE = '.manta_storage_token';

/** Written last into a checkpoint folder: a checkpoint without it is incomplete. */
export const CHECKPOINT_MARKER = '.manta_checkpoint_complete';
