export type { PlanNode } from './types.ts';
export { describePlan } from './types.ts';
