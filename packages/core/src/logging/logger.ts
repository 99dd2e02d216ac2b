import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One structured (JSON lines) log file per process in the cluster's log folder, named by role
 * and id, e.g. logs/worker-3f2a.log. Without a folder, logs go to stderr at `warn` and above.
 */
export function createLogger(role: string, id: string, logDir?: string): Logger {
  const level = process.env.MANTA_LOG_LEVEL ?? 'info';
  if (!logDir)
    return pino({ level: process.env.MANTA_LOG_LEVEL ?? 'warn', base: { role, id } }, pino.destination(2));
  mkdirSync(logDir, { recursive: true });
  const destination = pino.destination({ dest: join(logDir, `${role}-${id}.log`), sync: false, mkdir: true });
  return pino({ level, base: { role, id, pid: process.pid } }, destination);
}
