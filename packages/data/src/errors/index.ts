export { DataOperatorError, DataReadError, DataSchemaError, DataUsageError, OnnxError } from './errors.ts';
