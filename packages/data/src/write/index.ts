export { encodeCsv } from './csv.ts';
export { encodeJsonl } from './jsonl.ts';
export { encodeParquet } from './parquet.ts';
