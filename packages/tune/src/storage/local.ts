import {
  appendFile,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type IoOp, ioThread } from './io_thread.ts';
import { CHECKPOINT_MARKER, type FileWrite, type TuneStorage } from './types.ts';

/** Copy a directory tree (fs.cp is several times slower for small checkpoint folders). */
async function copyDir(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? copyDir(join(from, e.name), join(to, e.name))
        : copyFile(join(from, e.name), join(to, e.name)),
    ),
  );
}

let tempCounter = 0;

/** An experiment folder on the local filesystem. */
export class LocalTuneStorage implements TuneStorage {
  readonly experimentPath: string;
  /** Folders known to exist (one mkdir per trial folder, not one per write). */
  private readonly made = new Map<string, Promise<unknown>>();

  constructor(experimentPath: string) {
    this.experimentPath = resolve(experimentPath);
  }

  private abs(relPath: string): string {
    return join(this.experimentPath, relPath);
  }

  private ensureDir(dir: string): Promise<unknown> {
    let made = this.made.get(dir);
    if (!made) {
      made = ioThread.run([{ kind: 'mkdir', path: dir }]);
      made.catch(() => this.made.delete(dir));
      this.made.set(dir, made);
    }
    return made;
  }

  async writeText(relPath: string, text: string): Promise<void> {
    const target = this.abs(relPath);
    await this.ensureDir(dirname(target));
    const temp = `${target}.tmp-${process.pid}-${tempCounter++}`;
    await writeFile(temp, text);
    await rename(temp, target);
  }

  /**
   * Many small writes at once, on the file writing thread (see io_thread.ts): the folders they
   * need first, then one op per file (writes to one file keep their order).
   */
  async writeBatch(ops: readonly FileWrite[]): Promise<void> {
    const batch: IoOp[] = [];
    const earlier: Promise<unknown>[] = [];
    for (const dir of new Set(ops.map((op) => dirname(this.abs(op.path))))) {
      const made = this.made.get(dir);
      if (made) earlier.push(made);
      else batch.push({ kind: 'mkdir', path: dir });
    }
    const byFile = new Map<string, { text: string; append: boolean }>();
    for (const op of ops) {
      const prev = byFile.get(op.path);
      if (prev && op.append) prev.text += op.text;
      else byFile.set(op.path, { text: op.text, append: op.append });
    }
    for (const [path, op] of byFile)
      batch.push({ kind: op.append ? 'append' : 'write', path: this.abs(path), text: op.text });
    // The thread runs messages in order, so folders asked for earlier exist before these writes.
    const run = ioThread.run(batch);
    for (const op of batch) {
      if (op.kind !== 'mkdir') break;
      const made = run.catch(() => undefined);
      this.made.set(op.path, made);
      run.catch(() => this.made.delete(op.path));
    }
    await Promise.all([run, ...earlier]);
  }

  async appendText(relPath: string, text: string): Promise<void> {
    const target = this.abs(relPath);
    await this.ensureDir(dirname(target));
    await appendFile(target, text);
  }

  async readText(relPath: string): Promise<string | undefined> {
    try {
      return await readFile(this.abs(relPath), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async exists(relPath: string): Promise<boolean> {
    try {
      await stat(this.abs(relPath));
      return true;
    } catch {
      return false;
    }
  }

  private async install(copy: (temp: string) => Promise<void>, relPath: string): Promise<void> {
    const target = this.abs(relPath);
    const temp = `${target}.tmp-${process.pid}-${tempCounter++}`;
    await this.ensureDir(dirname(target));
    await copy(temp);
    await writeFile(join(temp, CHECKPOINT_MARKER), new Date().toISOString());
    if (await this.exists(relPath)) await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  }

  async putCheckpoint(localDir: string, relPath: string): Promise<void> {
    await this.install((temp) => copyDir(localDir, temp), relPath);
  }

  async copyCheckpoint(fromRel: string, toRel: string): Promise<void> {
    await this.install((temp) => copyDir(this.abs(fromRel), temp), toRel);
  }

  async isCheckpointComplete(relPath: string): Promise<boolean> {
    return this.exists(join(relPath, CHECKPOINT_MARKER));
  }

  async localCheckpointDir(relPath: string): Promise<string> {
    return this.abs(relPath);
  }

  localTrialPath(relPath: string): string {
    return this.abs(relPath);
  }

  async localTrialDir(relPath: string): Promise<string> {
    const dir = this.abs(relPath);
    await this.ensureDir(dir);
    return dir;
  }

  async remove(relPath: string): Promise<void> {
    const target = this.abs(relPath);
    // Removing a folder writes went to (a trial's, the root): forget every folder made.
    if (this.made.has(target)) this.made.clear();
    await rm(target, { recursive: true, force: true });
  }
}
