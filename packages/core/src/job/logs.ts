import type { Readable } from 'node:stream';
import { headers, type JetStreamClient, type NatsConnection } from 'nats';
import type { Logger } from '../logging/index.ts';
import { type JobStatus, JobStore, JobSubjects, LogHeaders } from './types.ts';

/** Largest log chunk per message, well under the server's max payload. */
const MAX_CHUNK = 256 * 1024;
/** Chunks awaiting their JetStream ack before the job's pipes are paused (backpressure). */
const HIGH_WATER = 64;

/**
 * Appends a job's stdout/stderr to its subject of the log stream, in order, then an end
 * marker carrying the job's final status (what `manta job logs --follow` waits for).
 */
export class JobLogWriter {
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly sources: Readable[] = [];
  private readonly subject: string;

  constructor(
    private readonly js: JetStreamClient,
    jobId: string,
    private readonly log: Logger,
  ) {
    this.subject = JobSubjects.log(jobId);
  }

  /** Copies a pipe of the job's process into the log. */
  pipe(source: Readable, stream: 'stdout' | 'stderr'): void {
    this.sources.push(source);
    source.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += MAX_CHUNK) {
        this.append(stream, chunk.subarray(at, at + MAX_CHUNK));
      }
    });
  }

  /** A line from the supervisor itself (setup errors), on stderr. */
  note(line: string): void {
    this.append('stderr', Buffer.from(`${line}\n`));
  }

  private append(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    const h = headers();
    h.set(LogHeaders.stream, stream);
    this.inFlight++;
    if (this.inFlight === HIGH_WATER) for (const s of this.sources) s.pause();
    this.chain = this.chain
      .then(() => this.js.publish(this.subject, data, { headers: h }))
      .then(
        () => undefined,
        (error: unknown) => this.log.warn({ err: error, subject: this.subject }, 'job log chunk lost'),
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === HIGH_WATER / 2) for (const s of this.sources) s.resume();
      });
  }

  /** Waits for every chunk, then writes the end marker. */
  async end(status: JobStatus): Promise<void> {
    await this.chain;
    const h = headers();
    h.set(LogHeaders.end, status);
    await this.js.publish(this.subject, new Uint8Array(0), { headers: h }).catch((error: unknown) => {
      this.log.warn({ err: error, subject: this.subject }, 'job log end marker lost');
    });
  }
}

export interface ReadLogsOptions {
  /** Keep reading until the job ends (its end marker), rather than stop at the current end. */
  follow?: boolean;
  /** Stop following. */
  signal?: AbortSignal;
}

/**
 * Reads a job's output from the log stream, from the start, calling `onChunk` for each piece.
 * Resolves with the job's final status when its end marker was reached.
 */
export async function readJobLogs(
  nc: NatsConnection,
  jobId: string,
  onChunk: (stream: 'stdout' | 'stderr', data: Uint8Array) => void,
  options: ReadLogsOptions = {},
): Promise<JobStatus | undefined> {
  const subject = JobSubjects.log(jobId);
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(JobStore.logStream, { subjects_filter: subject });
  const stored = info.state.subjects?.[subject] ?? 0;
  if (!options.follow && stored === 0) return undefined;
  const consumer = await nc.jetstream().consumers.get(JobStore.logStream, { filterSubjects: subject });
  const messages = await consumer.consume();
  const stop = () => messages.stop();
  options.signal?.addEventListener('abort', stop);
  let ended: JobStatus | undefined;
  try {
    for await (const m of messages) {
      const end = m.headers?.get(LogHeaders.end);
      if (end) {
        ended = end as JobStatus;
        break;
      }
      onChunk(m.headers?.get(LogHeaders.stream) === 'stderr' ? 'stderr' : 'stdout', m.data);
      if (!options.follow && m.info.pending === 0) break;
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    messages.stop();
  }
  return ended;
}
