export { LocalTuneStorage } from './local.ts';
export { isRemotePath, SyncedTuneStorage } from './synced.ts';
export { CHECKPOINT_MARKER, type TuneStorage } from './types.ts';
