import type { NatsConnection } from 'nats';
import { encode } from '../codec/index.ts';
import { type JobOutput, Subjects } from '../protocol/index.ts';

const FLUSH_MS = 100;
/** Bytes per message; more waits for the next one. */
const MESSAGE_CHARS = 64 * 1024;
/** Bytes held per stream between flushes; beyond, output is dropped (the node's log keeps it). */
const MAX_HELD_CHARS = 1024 * 1024;

type Stream = JobOutput['stream'];

/**
 * Sends what this worker prints to the driver of the job it works for, as Ray's log_to_driver
 * does: a driver on another machine, or a submitted job's log, sees the output of its tasks and
 * actors wherever they run. The output still goes to the worker's own stdout/stderr (the node's
 * log files). Batched: one message per stream every 100 ms at most, and `flush()` sends what is
 * held at once (before a result, so the driver prints a task's output before it has the result).
 */
export function forwardOutputToJobDriver(
  nc: NatsConnection,
  jobIdNow: () => string | undefined,
  nodeId: string,
): { flush(): void } {
  const held = new Map<string, { jobId: string; stream: Stream; text: string; dropped: number }>();
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const [key, entry] of held) {
      const text =
        entry.dropped > 0
          ? `${entry.text}[manta: ${entry.dropped} characters of output dropped]\n`
          : entry.text;
      held.delete(key);
      for (let at = 0; at < text.length; at += MESSAGE_CHARS) {
        const message: JobOutput = {
          pid: process.pid,
          nodeId,
          stream: entry.stream,
          text: text.slice(at, at + MESSAGE_CHARS),
        };
        try {
          nc.publish(Subjects.jobOutput(entry.jobId), encode(message));
        } catch {
          return; // connection closed: the node's log still has it
        }
      }
    }
  };

  const hold = (stream: Stream, chunk: unknown) => {
    const jobId = jobIdNow();
    if (jobId === undefined) return;
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    const key = `${jobId}\0${stream}`;
    let entry = held.get(key);
    if (!entry) {
      entry = { jobId, stream, text: '', dropped: 0 };
      held.set(key, entry);
    }
    if (entry.text.length + text.length > MAX_HELD_CHARS) entry.dropped += text.length;
    else entry.text += text;
    if (!timer) {
      timer = setTimeout(flush, FLUSH_MS);
      timer.unref();
    }
  };

  for (const stream of ['stdout', 'stderr'] as const) {
    const target = process[stream];
    const write = target.write.bind(target) as (...args: unknown[]) => boolean;
    target.write = ((chunk: unknown, ...rest: unknown[]) => {
      hold(stream, chunk);
      return write(chunk, ...rest);
    }) as typeof target.write;
  }
  // What was printed just before the process exits normally still goes.
  process.once('beforeExit', flush);
  return { flush };
}
