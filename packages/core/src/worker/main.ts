/**
 * Entry point of a worker process, started by a node agent with
 * `node --import tsx packages/core/src/worker/main.ts` and its identity in the environment.
 */
import { setPackageProvider } from '../job/module-map.ts';
import { createLogger } from '../logging/index.ts';
import { request, Subjects } from '../protocol/index.ts';
import { markWorkerProcess } from '../runtime/main-module.ts';
import { Runtime } from '../runtime/runtime.ts';
import { forwardOutputToJobDriver } from './output-forwarder.ts';
import { Worker } from './worker.ts';

const { MANTA_ADDRESS, MANTA_TOKEN, MANTA_WORKER_ID, MANTA_NODE_ID, MANTA_LOG_DIR } = process.env;
if (!MANTA_ADDRESS || !MANTA_WORKER_ID || !MANTA_NODE_ID) {
  process.stderr.write('manta worker: MANTA_ADDRESS, MANTA_WORKER_ID and MANTA_NODE_ID must be set\n');
  process.exit(2);
}
markWorkerProcess();
// The worker's own temp folder (its node agent removes it when the worker dies): set here, not
// in the spawn environment, so that tsx, loaded before this line, keeps its shared cache.
if (process.env.MANTA_WORKER_TMPDIR) process.env.TMPDIR = process.env.MANTA_WORKER_TMPDIR;
const log = createLogger('worker', MANTA_WORKER_ID, MANTA_LOG_DIR);
const runtime = await Runtime.connect({
  address: MANTA_ADDRESS,
  token: MANTA_TOKEN,
  log,
  name: `worker-${MANTA_WORKER_ID}`,
});
const output = forwardOutputToJobDriver(runtime.nc, () => runtime.jobId, MANTA_NODE_ID);
// Job packages are fetched and unpacked once per node, by the node agent.
setPackageProvider(async (hash) => {
  const subject = Subjects.nodePackage(MANTA_NODE_ID);
  return (await request<{ dir: string }>(runtime.nc, subject, { hash }, 300_000)).dir;
});
// The worker's life is bound to its node agent: when the agent's pipe closes, the worker goes.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
runtime.nc.closed().then(() => process.exit(0));
process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection in worker'));
new Worker(runtime, MANTA_WORKER_ID, MANTA_NODE_ID, log, output.flush).start();
