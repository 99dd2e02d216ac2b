/**
 * `npm run bench -- [suite ...] [--quick]`: runs the named suites (all when none is named).
 * Each suite is bench/src/suites/<name>.ts exporting `run(ctx)`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchContext, createContext } from './harness.ts';

const suitesDir = join(dirname(fileURLToPath(import.meta.url)), 'suites');
const known = readdirSync(suitesDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const named = args.filter((a) => !a.startsWith('--'));
const unknown = named.filter((n) => !known.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`Unknown suite(s): ${unknown.join(', ')}. Known suites: ${known.join(', ')}\n`);
  process.exit(2);
}

let failed = false;
for (const suite of named.length > 0 ? named : known) {
  process.stderr.write(`# suite ${suite}${quick ? ' (quick)' : ''}\n`);
  try {
    const module = (await import(pathToFileURL(join(suitesDir, `${suite}.ts`)).href)) as {
      run(ctx: BenchContext): Promise<void>;
    };
    await module.run(createContext(suite, quick));
  } catch (error) {
    failed = true;
    process.stderr.write(`suite ${suite} failed: ${(error as Error).stack ?? error}\n`);
  }
}
process.exit(failed ? 1 : 0);
