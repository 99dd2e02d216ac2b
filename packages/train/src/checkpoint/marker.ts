import { z } from 'zod';
import type { Storage } from '../storage/index.ts';
import type { CheckpointMarker } from './types.ts';

/** Written last into a persisted checkpoint folder; its presence means "complete". */
export const MARKER_FILE = '.manta_checkpoint_complete';

const markerSchema = z.object({
  version: z.literal(1),
  index: z.number().int().min(0),
  createdAt: z.string(),
  metrics: z.record(z.string(), z.unknown()),
  files: z.record(z.string(), z.number().int().min(0)),
});

/** The marker of the checkpoint rooted at `storage`, or undefined when absent or unreadable. */
export async function readMarker(storage: Storage): Promise<CheckpointMarker | undefined> {
  let text: string;
  try {
    text = await storage.readText(MARKER_FILE);
  } catch (error) {
    if ((error as { code?: string }).code === 'STORAGE_NOT_FOUND') return undefined;
    throw error;
  }
  return parseMarker(text);
}

/** Parses marker JSON; a torn or foreign file counts as no marker. */
export function parseMarker(text: string): CheckpointMarker | undefined {
  try {
    const result = markerSchema.safeParse(JSON.parse(text));
    return result.success ? (result.data as CheckpointMarker) : undefined;
  } catch {
    return undefined;
  }
}
