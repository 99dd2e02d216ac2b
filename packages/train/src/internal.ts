// Sibling-package face of @manta/train (for @manta/tune): storage internals and the session seam.
export { checkpointDirName, MARKER_FILE, parseCheckpointDirName, readMarker } from './checkpoint/index.ts';
export { currentSession, runInSession, type TrainSession } from './session/index.ts';
export { backendFor, schemeOf, storageBackends, withRetries } from './storage/index.ts';
export { isTrainLoop } from './trainer/train-loop.ts';
