export { PlacementGroup, placementGroup } from './api.ts';
export { type NodeCapacity, PlacementStrategy, placeBundles } from './bundles.ts';
