/** Trainables for batch.test.ts (imported by trial processes: definitions only). */
import { getContext, report } from '../executor/session.ts';
import { trainable } from './trainable.ts';

/** Reports once at once; `failAt` throws instead; `touch` writes a file into the trial folder. */
export const quick = trainable(import.meta.url, async (config: Record<string, unknown>) => {
  const i = Number(config.i);
  if (i === Number(config.failAt)) throw new Error(`boom ${i}`);
  if (config.touch === true) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${getContext().trialDir}/touched.txt`, String(i));
  }
  await report({ score: i, pid: process.pid });
});
