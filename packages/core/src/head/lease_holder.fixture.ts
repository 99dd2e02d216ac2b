/**
 * Test fixture, run as a child process by lease.test.ts: claims the head lease as `headId`,
 * prints `HELD`, and once another head takes the lease over prints `LOST <holder>` and exits.
 * argv: <natsUrl> <token> <bucket> <headId>
 */
import { connect } from 'nats';
import { createLogger } from '../logging/index.ts';
import { HeadLease } from './lease.ts';

const [url, token, bucket, headId] = process.argv.slice(2);
const nc = await connect({ servers: url, token });
const lease = await HeadLease.acquire(nc, headId, createLogger('test', headId), { bucket });
await lease.watch(async (holder) => {
  process.stdout.write(`LOST ${holder}\n`);
  await nc.close();
  process.exit(0);
});
process.stdout.write('HELD\n');
