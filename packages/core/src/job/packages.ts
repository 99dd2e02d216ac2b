import { existsSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MantaError } from '../errors/index.ts';
import { unpackPackage } from './archive.ts';
import { downloadPackage, type JobStoreHandles } from './store.ts';
import { packageHashPattern } from './types.ts';

const coreRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The node_modules folder that holds this Manta installation (`@manta/core` and its siblings):
 * the monorepo's root node_modules, or the app's node_modules when Manta is installed from npm.
 */
export function mantaNodeModules(): string {
  const core = realpathSync(coreRoot);
  for (let dir = dirname(core); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    try {
      if (realpathSync(join(candidate, '@manta', 'core')) === core) return candidate;
    } catch {}
    if (dirname(dir) === dir) break;
  }
  throw new MantaError(
    'MANTA_INSTALL_NOT_FOUND',
    `no node_modules folder above ${core} holds @manta/core; job code could not import it`,
  );
}

/**
 * Job code imports `@manta/core` and other packages, but node_modules is never packaged: the
 * unpacked folder gets a `node_modules` link to this node's own installation instead.
 */
export function linkNodeModules(dir: string): void {
  const link = join(dir, 'node_modules');
  if (!existsSync(link)) symlinkSync(mantaNodeModules(), link, 'dir');
}

const inflight = new Map<string, Promise<string>>();

/**
 * This node's unpacked copy of a package, `<packagesDir>/<hash>`, fetched from the object
 * store on first use. Unpacked into a temp folder and renamed into place, so a folder that
 * exists is complete, and processes racing for the same package all end up with one copy.
 */
export function ensurePackage(store: JobStoreHandles, hash: string, packagesDir: string): Promise<string> {
  if (!packageHashPattern.test(hash)) {
    return Promise.reject(new MantaError('PACKAGE_INVALID', `'${hash}' is not a package hash`));
  }
  const final = join(packagesDir, hash);
  if (existsSync(final)) return Promise.resolve(final);
  let pending = inflight.get(hash);
  if (!pending) {
    pending = fetchAndUnpack(store, hash, packagesDir, final).finally(() => inflight.delete(hash));
    inflight.set(hash, pending);
  }
  return pending;
}

async function fetchAndUnpack(
  store: JobStoreHandles,
  hash: string,
  packagesDir: string,
  final: string,
): Promise<string> {
  const data = await downloadPackage(store, hash);
  mkdirSync(packagesDir, { recursive: true, mode: 0o700 });
  const temp = mkdtempSync(join(packagesDir, `.unpack-${hash.slice(0, 12)}-`));
  try {
    await unpackPackage(data, temp);
    linkNodeModules(temp);
    renameSync(temp, final);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    if (!existsSync(final)) throw error; // else another process put the same package in place
  }
  return final;
}
