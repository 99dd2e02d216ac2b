import { appendFile as appendFileCb, rename as renameCb, writeFile as writeFileCb } from 'node:fs';
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
      made = mkdir(dir, { recursive: true });
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
   * Many small writes at once, with callback-style fs calls run in parallel on the thread pool:
   * a batch of trial files costs the driver's thread little (no FileHandle promise chains).
   */
  async writeBatch(ops: readonly FileWrite[]): Promise<void> {
    const dirs = new Set(ops.map((op) => dirname(this.abs(op.path))));
    await Promise.all([...dirs].map((dir) => this.ensureDir(dir)));
    // Writes to one file keep their order: each file's ops are joined into one.
    const byFile = new Map<string, { text: string; append: boolean }>();
    for (const op of ops) {
      const prev = byFile.get(op.path);
      if (prev && op.append) prev.text += op.text;
      else byFile.set(op.path, { text: op.text, append: op.append });
    }
    await Promise.all(
      [...byFile].map(
        ([path, op]) =>
          new Promise<void>((done, fail) => {
            const target = this.abs(path);
            if (op.append) {
              appendFileCb(target, op.text, (e) => (e ? fail(e) : done()));
              return;
            }
            const temp = `${target}.tmp-${process.pid}-${tempCounter++}`;
            writeFileCb(temp, op.text, (e) => {
              if (e) fail(e);
              else renameCb(temp, target, (e2) => (e2 ? fail(e2) : done()));
            });
          }),
      ),
    );
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
