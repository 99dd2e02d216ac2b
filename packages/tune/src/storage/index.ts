export { LocalTuneStorage } from './local.ts';
export { CHECKPOINT_MARKER, type TuneStorage } from './types.ts';
