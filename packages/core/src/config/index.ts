export { parseConfig } from './validate.ts';
