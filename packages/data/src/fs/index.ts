export type { ExpandOptions } from './expand.ts';
export { expandPaths } from './expand.ts';
export { globToRegExp, hasGlob } from './glob.ts';
export { LocalFileSystem } from './local.ts';
export { fileSystemFor, registerFileSystem, schemeOf } from './registry.ts';
export type { FileInfo, FileRef, FileSystem } from './types.ts';
