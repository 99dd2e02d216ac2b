import { MantaError } from '@manta/core';

/** A source file could not be read or parsed. `path` and (when known) 1-based `row`/`line` say where. */
export class DataReadError extends MantaError {
  readonly path: string;
  readonly row: number | undefined;
  constructor(path: string, message: string, row?: number, options?: { cause?: unknown }) {
    super('DATA_READ', `${path}${row === undefined ? '' : ` (row ${row})`}: ${message}`, options);
    this.path = path;
    this.row = row;
  }
}

/** Blocks or columns disagree: mismatched lengths, a missing column, rows that zip unevenly. */
export class DataSchemaError extends MantaError {
  readonly column: string | undefined;
  constructor(message: string, column?: string, options?: { cause?: unknown }) {
    super('DATA_SCHEMA', message, options);
    this.column = column;
  }
}

/** User code inside an operator (map, filter, mapBatches...) threw; `operator` names the stage. */
export class DataOperatorError extends MantaError {
  readonly operator: string;
  constructor(operator: string, cause: unknown) {
    const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('DATA_OPERATOR', `${operator} failed: ${text}`, { cause });
    this.operator = operator;
  }
}

/** A dataset was used in a way that cannot work (an iterator consumed twice, a split shard reused). */
export class DataUsageError extends MantaError {
  constructor(message: string) {
    super('DATA_USAGE', message);
  }
}

/** An ONNX model could not be built, loaded or run; `inputs`/`outputs` list the model's names. */
export class OnnxError extends MantaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATA_ONNX', message, options);
  }
}
