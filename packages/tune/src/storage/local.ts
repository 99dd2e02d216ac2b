import { randomBytes } from 'node:crypto';
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
import { CHECKPOINT_MARKER, type TuneStorage } from './types.ts';

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

/** An experiment folder on the local filesystem. */
export class LocalTuneStorage implements TuneStorage {
  readonly experimentPath: string;

  constructor(experimentPath: string) {
    this.experimentPath = resolve(experimentPath);
  }

  private abs(relPath: string): string {
    return join(this.experimentPath, relPath);
  }

  async writeText(relPath: string, text: string): Promise<void> {
    const target = this.abs(relPath);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(temp, text);
    await rename(temp, target);
  }

  async appendText(relPath: string, text: string): Promise<void> {
    const target = this.abs(relPath);
    await mkdir(dirname(target), { recursive: true });
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
    const temp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    await mkdir(dirname(target), { recursive: true });
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
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async remove(relPath: string): Promise<void> {
    await rm(this.abs(relPath), { recursive: true, force: true });
  }
}
