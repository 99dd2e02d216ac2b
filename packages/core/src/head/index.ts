export { type ClusterStatus, Head, type HeadOptions, newId, type TaskList } from './head.ts';
export { type StartHeadOptions, startHead } from './start.ts';
export { type HeadState, HeadStateStore, StateKeys, type StateStoreOptions } from './state-store.ts';
