import { MantaError } from '@manta/core';

/** A checkpoint operation failed. */
export class CheckpointError extends MantaError {
  /** The checkpoint's URI, when there is one. */
  readonly uri: string | undefined;
  constructor(message: string, options?: { uri?: string; cause?: unknown; code?: string }) {
    super(options?.code ?? 'CHECKPOINT_ERROR', message, options);
    this.uri = options?.uri;
  }
}

/** A checkpoint folder has no completion marker (it was never finished, or is being deleted). */
export class CheckpointIncompleteError extends CheckpointError {
  constructor(uri: string) {
    super(`Checkpoint ${uri} is incomplete: its completion marker is missing or unreadable`, {
      uri,
      code: 'CHECKPOINT_INCOMPLETE',
    });
  }
}

/** A checkpoint was reported with metrics that lack the configured `scoreAttribute`. */
export class CheckpointMetricMissingError extends CheckpointError {
  readonly scoreAttribute: string;
  readonly availableMetrics: readonly string[];
  constructor(scoreAttribute: string, availableMetrics: readonly string[], got?: unknown) {
    const problem = got === undefined ? 'lack it' : `give ${JSON.stringify(got)}, which is not a number`;
    super(
      `checkpointConfig.scoreAttribute is "${scoreAttribute}", but the metrics reported with this checkpoint ${problem}. ` +
        `Reported metrics: ${availableMetrics.length > 0 ? availableMetrics.join(', ') : '(none)'}. ` +
        `Report "${scoreAttribute}" as a number alongside every checkpoint, or change scoreAttribute.`,
      { code: 'CHECKPOINT_METRIC_MISSING' },
    );
    this.scoreAttribute = scoreAttribute;
    this.availableMetrics = availableMetrics;
  }
}
