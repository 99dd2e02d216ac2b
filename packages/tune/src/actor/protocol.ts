import { ObjectRef } from '@manta/core';
import { z } from 'zod';
import { ReportReply } from '../executor/index.ts';

/** Every subject and message shape between trial processes and the Tune driver. */
export function trialSubject(executorId: string): string {
  return `manta.tune.${executorId}.trial`;
}

const base = {
  trialId: z.string().min(1),
  /** Which start of the trial this process serves; stale processes are told to stop. */
  token: z.string().min(1),
};

const metrics = z.record(z.string(), z.unknown());

/**
 * How a checkpoint crosses from a trial process to the driver: already written into the
 * experiment's storage by the trial process (`stored`, relative to the experiment root), or its
 * files in the object store (`ref` to a PackedDir) when the trial's machine cannot reach the
 * experiment folder.
 */
export const CheckpointHandoffSchema = z.union([
  z.object({ stored: z.string().min(1) }),
  z.object({ ref: z.instanceof(ObjectRef) }),
]);
export type CheckpointHandoff = z.infer<typeof CheckpointHandoffSchema>;

/** Trial process -> driver (request/reply). */
export const TrialMessageSchema = z.discriminatedUnion('kind', [
  /** One result the trial waits on. */
  z.object({ kind: z.literal('report'), ...base, metrics, checkpoint: CheckpointHandoffSchema.optional() }),
  /** Results streamed without waiting (no per-result decisions); the answer may still say STOP. */
  z.object({ kind: z.literal('results'), ...base, results: z.array(metrics).min(1) }),
  /** A checkpoint saved outside a report (PAUSE, checkpointAtEnd). */
  z.object({ kind: z.literal('checkpoint'), ...base, checkpoint: CheckpointHandoffSchema }),
  /** The files of a checkpoint to resume from, for a trial process that cannot reach the folder. */
  z.object({ kind: z.literal('fetch'), ...base, path: z.string().min(1) }),
]);
export type TrialMessage = z.infer<typeof TrialMessageSchema>;

export const TrialReplySchema = z.object({
  reply: z.enum([ReportReply.Continue, ReportReply.Pause, ReportReply.Stop]),
  /** Where the trial's next checkpoint goes (relative to the experiment root). */
  checkpointPath: z.string().min(1).optional(),
  /** `fetch`: the checkpoint's files (a PackedDir) in the object store. */
  files: z.instanceof(ObjectRef).optional(),
  /** `fetch`: why the files could not be sent. */
  error: z.string().optional(),
});
export type TrialReplyMessage = z.infer<typeof TrialReplySchema>;
