/**
 * Test fixture, run as a child process by checkpoint_s3.test.ts: persists a local folder to a
 * run folder and is SIGKILLed by the test part-way through the upload.
 * argv: <sourceDir> <runUri> <index>; storage settings come from the AWS environment variables.
 */
import { Checkpoint } from './checkpoint.ts';
import { persistCheckpoint } from './persist.ts';

const [sourceDir, run, index] = process.argv.slice(2);
const MIB = 1024 * 1024;
await persistCheckpoint(Checkpoint.fromDirectory(sourceDir), run, {
  index: Number(index),
  // Small serial parts, so the upload takes long enough to be interrupted.
  storage: {
    concurrency: 1,
    s3: { multipartThresholdBytes: 5 * MIB, partSizeBytes: 5 * MIB, partConcurrency: 1 },
  },
});
process.stdout.write('persisted\n');
