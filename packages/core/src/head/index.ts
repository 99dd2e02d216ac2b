export { type ClusterStatus, Head, type HeadOptions, newId } from './head.ts';
