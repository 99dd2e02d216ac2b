#!/usr/bin/env node
// The `manta` command. Manta's packages are TypeScript run through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
