import type { NatsConnection, Subscription } from 'nats';
import type { Logger } from '../logging/index.ts';
import { serve } from '../nats/index.ts';
import { JobOutputSchema, Subjects } from '../protocol/index.ts';

/**
 * Prints what the workers of this driver's job print (see worker/output-forwarder.ts) to this
 * process's stdout/stderr, each line tagged with the worker's pid and node, as Ray's driver does.
 */
export function printJobOutput(nc: NatsConnection, jobId: string, log: Logger): Subscription {
  return serve(nc, Subjects.jobOutput(jobId), JobOutputSchema, log, ({ pid, nodeId, stream, text }) => {
    const tag = `(worker pid=${pid}, node=${nodeId.slice(0, 8)}) `;
    const lines = text.replace(/\n$/, '').split('\n');
    process[stream].write(`${lines.map((line) => tag + line).join('\n')}\n`);
  });
}
