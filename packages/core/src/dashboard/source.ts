import type { NatsConnection, Subscription } from 'nats';
import { encode } from '../codec/index.ts';
import type { ClusterStatus, TaskList } from '../head/index.ts';
import { JobStore } from '../job/types.ts';
import { request, Subjects } from '../protocol/index.ts';

/**
 * Where the dashboard reads the cluster from. It asks the head over NATS, as `manta status`
 * and `manta list` do, so the page shows exactly what the CLI shows and keeps working across a
 * head restart.
 */
export interface DashboardSource {
  status(): Promise<ClusterStatus>;
  /** Running and pending tasks (`manta list tasks`); absent when the source has no task list. */
  tasks?(): Promise<TaskList>;
  /** Job records (`manta job submit`), newest first; absent when the source has no job table. */
  jobs?(): Promise<unknown[]>;
}

/** Most job records the page shows (the newest). */
const MAX_JOBS = 500;

export function natsSource(nc: NatsConnection): DashboardSource {
  return {
    status: () => request<ClusterStatus>(nc, Subjects.status, {}, 5000),
    tasks: () => request<TaskList>(nc, Subjects.listTasks, {}, 5000),
    jobs: () => readJobRecords(nc),
  };
}

/**
 * The job records in the cluster's KV bucket, read without creating it (the dashboard changes
 * nothing): a cluster that never ran a job has none.
 */
async function readJobRecords(nc: NatsConnection): Promise<unknown[]> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(`KV_${JobStore.records}`);
  } catch (error) {
    if (/not found/i.test((error as Error).message)) return [];
    throw error;
  }
  const kv = await nc.jetstream().views.kv(JobStore.records, { bindOnly: true });
  const jobs: { submittedAt?: string }[] = [];
  const text = new TextDecoder();
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (entry?.operation !== 'PUT' || entry.value.length === 0) continue;
    try {
      jobs.push(JSON.parse(text.decode(entry.value)));
    } catch {
      // not a record this version understands
    }
  }
  jobs.sort((a, b) => String(b.submittedAt ?? '').localeCompare(String(a.submittedAt ?? '')));
  return jobs.slice(0, MAX_JOBS);
}

/**
 * Shares one in-flight read between concurrent callers and reuses a result for `ttlMs`, so
 * many open browser tabs cost the head one status request per interval.
 */
export function coalesce<T>(read: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  let last: { at: number; value: T } | undefined;
  return () => {
    if (last && Date.now() - last.at < ttlMs) return Promise.resolve(last.value);
    inFlight ??= read()
      .then((value) => {
        last = { at: Date.now(), value };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

/** NATS subject on which a running dashboard says where it is (`manta status` asks it). */
export const DASHBOARD_INFO_SUBJECT = Subjects.dashboardInfo;

export interface DashboardInfo {
  url: string;
  /** 'token' when every request needs the cluster token. */
  auth: 'token' | 'none';
}

export function answerDashboardInfo(nc: NatsConnection, info: DashboardInfo): Subscription {
  return nc.subscribe(DASHBOARD_INFO_SUBJECT, {
    callback: (error, msg) => {
      if (!error && msg.reply) msg.respond(encode({ ok: true, body: info }));
    },
  });
}

/** The cluster's dashboard, or undefined when none answers within `timeoutMs`. */
export async function findDashboard(
  nc: NatsConnection,
  timeoutMs = 1000,
): Promise<DashboardInfo | undefined> {
  try {
    return await request<DashboardInfo>(nc, DASHBOARD_INFO_SUBJECT, {}, timeoutMs);
  } catch {
    return undefined;
  }
}
