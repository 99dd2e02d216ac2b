export { LocalTuneStorage } from './local.ts';
export { isRemotePath, SyncedTuneStorage } from './synced.ts';
export { CHECKPOINT_MARKER, type FileWrite, STORAGE_TOKEN_FILE, type TuneStorage } from './types.ts';
