export type { ComputeStrategy, PlanNode } from './types.ts';
export { describePlan } from './types.ts';
