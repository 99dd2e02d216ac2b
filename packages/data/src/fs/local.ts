import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileInfo, FileSystem } from './types.ts';

function localPath(path: string): string {
  return path.startsWith('file://') ? new URL(path).pathname : path;
}

export class LocalFileSystem implements FileSystem {
  readonly scheme = 'file';

  async stat(path: string): Promise<FileInfo> {
    const s = await stat(localPath(path));
    return { size: s.size, isDirectory: s.isDirectory() };
  }

  async listFiles(dir: string): Promise<string[]> {
    const root = localPath(dir);
    const entries = await readdir(root, { withFileTypes: true, recursive: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? root, e.name));
  }

  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    const handle = await open(localPath(path), 'r');
    try {
      const out = new Uint8Array(Math.max(0, end - start));
      let offset = 0;
      while (offset < out.length) {
        const { bytesRead } = await handle.read(out, offset, out.length - offset, start + offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return offset === out.length ? out : out.subarray(0, offset);
    } finally {
      await handle.close();
    }
  }

  async *readStream(path: string): AsyncIterable<Uint8Array> {
    for await (const chunk of createReadStream(localPath(path), { highWaterMark: 1 << 20 }))
      yield chunk as Buffer;
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    await writeFile(localPath(path), data);
  }

  async mkdirs(path: string): Promise<void> {
    await mkdir(localPath(path), { recursive: true });
  }
}
