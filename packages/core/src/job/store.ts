import {
  DiscardPolicy,
  type JetStreamClient,
  type KV,
  type NatsConnection,
  type ObjectStore,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { MantaError } from '../errors/index.ts';
import { type Package, sha256 } from './archive.ts';
import { type JobRecord, JobStore, JobSubjects, jobIdPattern, packageHashPattern } from './types.ts';

/** The job buckets and log stream of a cluster, created on first use (idempotent). */
export interface JobStoreHandles {
  js: JetStreamClient;
  records: KV;
  packages: ObjectStore;
}

const LOG_STREAM_MAX_BYTES = 1024 * 1024 * 1024;
const LOG_MAX_AGE_NS = 7 * 24 * 3600 * 1e9;

export async function openJobStore(nc: NatsConnection): Promise<JobStoreHandles> {
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(JobStore.logStream);
  } catch {
    await jsm.streams
      .add({
        name: JobStore.logStream,
        subjects: [JobSubjects.allLogs],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_bytes: LOG_STREAM_MAX_BYTES,
        max_age: LOG_MAX_AGE_NS,
      })
      .catch(async (error: unknown) => {
        // Another process created it meanwhile.
        await jsm.streams.info(JobStore.logStream).catch(() => {
          throw error;
        });
      });
  }
  const records = await js.views.kv(JobStore.records, { history: 1 });
  const packages = await js.views.os(JobStore.packages, { storage: StorageType.File });
  return { js, records, packages };
}

/** Stores a package under its hash unless it is there already. True when it was uploaded. */
export async function uploadPackage(store: JobStoreHandles, pkg: Package): Promise<boolean> {
  const existing = await store.packages.info(pkg.hash);
  if (existing && !existing.deleted && existing.size === pkg.data.byteLength) return false;
  await store.packages.putBlob(
    { name: pkg.hash, description: `working dir: ${pkg.files} files, ${pkg.bytes} bytes` },
    pkg.data,
  );
  return true;
}

export async function hasPackage(store: JobStoreHandles, hash: string): Promise<boolean> {
  const info = await store.packages.info(hash);
  return Boolean(info && !info.deleted);
}

/** A package's bytes, checked against its name (the hash of its content). */
export async function downloadPackage(store: JobStoreHandles, hash: string): Promise<Uint8Array> {
  if (!packageHashPattern.test(hash))
    throw new MantaError('PACKAGE_INVALID', `'${hash}' is not a package hash`);
  const data = await store.packages.getBlob(hash);
  if (!data)
    throw new MantaError('PACKAGE_NOT_FOUND', `package ${hash} is not in the cluster's object store`);
  if (sha256(data) !== hash) {
    throw new MantaError('PACKAGE_CORRUPT', `package ${hash} does not match its hash`);
  }
  return data;
}

const text = new TextEncoder();
const untext = new TextDecoder();

export async function readJob(store: JobStoreHandles, jobId: string): Promise<JobRecord | undefined> {
  if (!jobIdPattern.test(jobId)) return undefined;
  const entry = await store.records.get(jobId);
  if (entry?.operation !== 'PUT' || entry.value.length === 0) return undefined;
  return JSON.parse(untext.decode(entry.value)) as JobRecord;
}

export async function writeJob(store: JobStoreHandles, record: JobRecord): Promise<void> {
  await store.records.put(record.jobId, text.encode(JSON.stringify(record)));
}

/** Writes a new record; fails if the job id is taken. */
export async function createJob(store: JobStoreHandles, record: JobRecord): Promise<void> {
  try {
    await store.records.create(record.jobId, text.encode(JSON.stringify(record)));
  } catch (error) {
    throw new MantaError('JOB_EXISTS', `a job with id ${record.jobId} exists`, { cause: error });
  }
}

/** Every job record, oldest submission first. */
export async function readAllJobs(store: JobStoreHandles): Promise<JobRecord[]> {
  // Keys first: awaiting a get() inside the keys() iteration cuts the iteration short.
  const keys: string[] = [];
  for await (const key of await store.records.keys()) keys.push(key);
  const jobs: JobRecord[] = [];
  for (const key of keys) {
    const record = await readJob(store, key);
    if (record) jobs.push(record);
  }
  return jobs.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
}
