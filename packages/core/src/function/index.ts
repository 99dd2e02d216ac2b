export { definitionsIn, lookupDefinition, registerDefinition } from './registry.ts';
