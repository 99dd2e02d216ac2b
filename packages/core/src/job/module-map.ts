import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MantaError } from '../errors/index.ts';
import { packageHashPattern } from './types.ts';

/**
 * A job's code lives in a different folder on every machine: the supervisor's job folder for
 * the driver, each node's package cache for workers. A definition made in a package folder
 * carries the package's hash and this process's root of it (`pkg` in its descriptor); another
 * process maps the module URL onto its own copy of the same package before importing it.
 */
export interface PackageLocation {
  hash: string;
  /** file:// URL of the package's root folder in the process that made the descriptor, ending in '/'. */
  root: string;
}

/** Package roots in this process: root URL -> package hash. */
const roots = new Map<string, string>();
/** Local copies already fetched: hash -> root URL. */
const local = new Map<string, Promise<string>>();
let provider: ((hash: string) => Promise<string>) | undefined;

function rootUrl(dir: string): string {
  return pathToFileURL(realpathSync(dir)).href.replace(/\/?$/, '/');
}

/** Modules under `dir` belong to package `hash` (the job driver's working dir, a node's unpacked copy). */
export function registerPackageRoot(dir: string, hash: string): string {
  const url = rootUrl(dir);
  roots.set(url, hash);
  if (!local.has(hash)) local.set(hash, Promise.resolve(url));
  return url;
}

/** The package a module belongs to, if it lies under a registered package root. */
export function packageOf(moduleUrl: string): PackageLocation | undefined {
  for (const [root, hash] of roots) if (moduleUrl.startsWith(root)) return { hash, root };
  return undefined;
}

/** How this process gets a local folder holding a package (a worker asks its node agent). */
export function setPackageProvider(fetchPackage: (hash: string) => Promise<string>): void {
  provider = fetchPackage;
}

/** The URL of `moduleUrl` in this process's copy of its package, fetching the package if needed. */
export async function localModuleUrl(moduleUrl: string, pkg: PackageLocation): Promise<string> {
  if (!packageHashPattern.test(pkg.hash) || !moduleUrl.startsWith(pkg.root)) {
    throw new MantaError(
      'PACKAGE_MISMATCH',
      `module ${moduleUrl} does not lie in its package root ${pkg.root}`,
    );
  }
  let root = local.get(pkg.hash);
  if (!root) {
    if (!provider) {
      throw new MantaError(
        'PACKAGE_UNAVAILABLE',
        `module ${moduleUrl} is in job package ${pkg.hash.slice(0, 12)}, and this process has no way to fetch packages`,
      );
    }
    const fetchPackage = provider;
    root = fetchPackage(pkg.hash).then((dir) => registerPackageRoot(dir, pkg.hash));
    local.set(pkg.hash, root);
    root.catch(() => local.delete(pkg.hash)); // a failed fetch is tried again next time
  }
  const base = await root;
  const mapped = new URL(moduleUrl.slice(pkg.root.length), base).href;
  if (!mapped.startsWith(base)) {
    throw new MantaError('PACKAGE_MISMATCH', `module ${moduleUrl} points outside its package`);
  }
  return mapped;
}

// The job supervisor tells the entrypoint where its package is unpacked.
const { MANTA_JOB_PACKAGE, MANTA_JOB_DIR } = process.env;
if (MANTA_JOB_PACKAGE && MANTA_JOB_DIR && packageHashPattern.test(MANTA_JOB_PACKAGE)) {
  try {
    registerPackageRoot(MANTA_JOB_DIR, MANTA_JOB_PACKAGE);
  } catch {
    // The folder is gone: modules load from wherever they are, as without a job.
  }
}
