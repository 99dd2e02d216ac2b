export { NodeAgent, type NodeAgentOptions } from './agent.ts';
export { detectGpus, detectResources } from './resources.ts';
