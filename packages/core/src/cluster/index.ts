export { EmbeddedCluster, type EmbeddedClusterOptions } from './embedded.ts';
export { type ClusterInfo, readLatestClusterInfo, sessionsRoot } from './session.ts';
