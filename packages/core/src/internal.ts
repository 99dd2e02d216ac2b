// Sibling-package face of @manta/core: parts that @manta/data, @manta/train and @manta/tune
// use but that are not part of the user API.
export { parseConfig } from './config/index.ts';
