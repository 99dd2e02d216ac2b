import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Where a cluster started on this machine writes its address (0600), logs and state. */
export interface ClusterInfo {
  address: string;
  token: string;
  pid: number;
  sessionDir: string;
  startedAt: string;
}

export function sessionsRoot(): string {
  return process.env.MANTA_SESSIONS_DIR ?? join(tmpdir(), `manta-${userInfo().username}`);
}

export function createSessionDir(): string {
  const root = sessionsRoot();
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return mkdtempSync(join(root, 'session_'));
}

export function writeClusterInfo(info: ClusterInfo): void {
  writeFileSync(join(info.sessionDir, 'cluster.json'), JSON.stringify(info, null, 2), { mode: 0o600 });
  const latest = join(sessionsRoot(), 'session_latest');
  try {
    unlinkSync(latest);
  } catch {}
  try {
    symlinkSync(info.sessionDir, latest);
  } catch {}
}

/** The most recently started cluster on this machine, if its file is still there. */
export function readLatestClusterInfo(): ClusterInfo | undefined {
  try {
    return JSON.parse(
      readFileSync(join(sessionsRoot(), 'session_latest', 'cluster.json'), 'utf8'),
    ) as ClusterInfo;
  } catch {
    return undefined;
  }
}

export function removeSessionDir(sessionDir: string): void {
  rmSync(sessionDir, { recursive: true, force: true });
  const latest = join(sessionsRoot(), 'session_latest');
  try {
    if (readLatestClusterInfo()?.sessionDir === sessionDir || !readLatestClusterInfo()) unlinkSync(latest);
  } catch {}
}
