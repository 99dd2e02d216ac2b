import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore from 'ignore';
import { create, extract, type ReadEntry } from 'tar';
import { MantaError } from '../errors/index.ts';

/** Never packaged: installed dependencies are the node's own (see packages.ts), history is not code. */
export const DEFAULT_EXCLUDES = ['node_modules/', '.git/'] as const;
export const DEFAULT_MAX_PACKAGE_BYTES = 100 * 1024 * 1024;

export interface PackOptions {
  /** .gitignore-style patterns to leave out, on top of DEFAULT_EXCLUDES and the dir's .gitignore. */
  excludes?: string[];
  /** Largest total size of the packaged files (default 100 MiB). */
  maxBytes?: number;
}

export interface Package {
  /** The gzipped tar. */
  data: Uint8Array;
  /** SHA-256 of `data`, hex: the package's name in the cluster. */
  hash: string;
  files: number;
  /** Total size of the packaged files, uncompressed. */
  bytes: number;
}

export class PackageTooLargeError extends MantaError {
  constructor(
    readonly dir: string,
    readonly bytes: number,
    readonly maxBytes: number,
    largest: { path: string; bytes: number }[],
  ) {
    super(
      'PACKAGE_TOO_LARGE',
      `the working dir ${dir} holds ${mib(bytes)} of files to package, over the ${mib(maxBytes)} limit. ` +
        `Largest: ${largest.map((f) => `${f.path} (${mib(f.bytes)})`).join(', ')}. ` +
        'Leave data out with --exclude PATTERN or a .gitignore, and read it from shared storage (S3) instead.',
    );
  }
}

function mib(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The files of `dir` to package (posix paths relative to it, sorted), honouring excludes. */
export function listPackageFiles(dir: string, excludes: string[] = []): { path: string; stats: Stats }[] {
  const rules = ignore().add([...DEFAULT_EXCLUDES]);
  const gitignore = join(dir, '.gitignore');
  if (existsSync(gitignore)) rules.add(readFileSync(gitignore, 'utf8'));
  rules.add(excludes);
  const found: { path: string; stats: Stats }[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const rel = relative(dir, full).split(sep).join('/');
      // Symlinks are followed to files (packaged as copies); linked folders are left out (cycles).
      let stats: Stats;
      try {
        stats = statSync(full);
      } catch {
        continue; // a dangling link
      }
      if (stats.isDirectory()) {
        if (!entry.isSymbolicLink() && !rules.ignores(`${rel}/`)) walk(full);
      } else if (stats.isFile() && !rules.ignores(rel)) {
        found.push({ path: rel, stats });
      }
    }
  };
  walk(dir);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Packages a working dir as a gzipped tar. The same files give the same bytes (no mtimes,
 * owners or order differences), so an unchanged dir is uploaded once.
 */
export async function packWorkingDir(dir: string, options: PackOptions = {}): Promise<Package> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new MantaError('WORKING_DIR_NOT_FOUND', `the working dir ${dir} is not a folder`);
  }
  const files = listPackageFiles(dir, options.excludes);
  const bytes = files.reduce((sum, f) => sum + f.stats.size, 0);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
  if (bytes > maxBytes) {
    const largest = [...files]
      .sort((a, b) => b.stats.size - a.stats.size)
      .slice(0, 5)
      .map((f) => ({ path: f.path, bytes: f.stats.size }));
    throw new PackageTooLargeError(dir, bytes, maxBytes, largest);
  }
  const chunks: Buffer[] = [];
  const pack = create(
    { gzip: true, cwd: dir, portable: true, noMtime: true, follow: true, noDirRecurse: true },
    files.map((f) => f.path),
  );
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  const data = Buffer.concat(chunks);
  return { data, hash: sha256(data), files: files.length, bytes };
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Unpacks a package into `dest`. Only plain files and folders are written, never outside
 * `dest` (tar's default: no absolute paths, no `..`), whatever the archive holds.
 */
export async function unpackPackage(data: Uint8Array, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const unpack = extract({
    cwd: dest,
    strict: true,
    preservePaths: false,
    filter: (_path, entry) => {
      const type = (entry as ReadEntry).type;
      return type === 'File' || type === 'OldFile' || type === 'Directory';
    },
  });
  await new Promise<void>((resolve, reject) => {
    unpack.on('error', reject);
    unpack.on('close', () => resolve());
    unpack.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
}
