import { z } from 'zod';

/** Rank 0 -> driver: one report per iteration (metrics, and the persisted checkpoint's URI). */
export const WorkerReportSchema = z.object({
  runId: z.string(),
  attempt: z.number().int(),
  iteration: z.number().int(),
  metrics: z.record(z.string(), z.unknown()),
  checkpointUri: z.string().optional(),
  checkpointIndex: z.number().int().optional(),
  at: z.number(),
});
export type WorkerReport = z.infer<typeof WorkerReportSchema>;

export function reportSubject(runId: string): string {
  return `manta.train.${runId}.report`;
}
