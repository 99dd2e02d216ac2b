export { allReduceMean, DistributedOptimizer, prepareModel } from './prepare.ts';
