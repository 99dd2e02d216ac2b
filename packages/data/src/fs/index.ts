export type { ExpandOptions } from './expand.ts';
export { expandPaths } from './expand.ts';
export { globToRegExp, hasGlob } from './glob.ts';
export { LocalFileSystem } from './local.ts';
export { fileSystemFor, registerFileSystem, schemeOf } from './registry.ts';
export { parseS3Path, S3FileSystem } from './s3.ts';
export { type ResolvedS3Config, resolveS3Config, type S3Options } from './s3_config.ts';
export type { FileInfo, FileRef, FileSystem } from './types.ts';
