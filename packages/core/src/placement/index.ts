export { PlacementGroup, placementGroup } from './api.ts';
export { type NodeCapacity, placeBundles, PlacementStrategy } from './bundles.ts';
