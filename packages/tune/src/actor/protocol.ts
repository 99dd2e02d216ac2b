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

/** Trial process -> driver (request/reply): one result; the trial waits for the reply. */
export const TrialMessageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('report'),
    ...base,
    metrics: z.record(z.string(), z.unknown()),
    /** A folder on the trial's machine holding this result's checkpoint. */
    checkpoint: z.string().min(1).optional(),
  }),
  z.object({ kind: z.literal('checkpoint'), ...base, checkpoint: z.string().min(1) }),
]);
export type TrialMessage = z.infer<typeof TrialMessageSchema>;

export const TrialReplySchema = z.object({
  reply: z.enum([ReportReply.Continue, ReportReply.Pause, ReportReply.Stop]),
});
export type TrialReplyMessage = z.infer<typeof TrialReplySchema>;
