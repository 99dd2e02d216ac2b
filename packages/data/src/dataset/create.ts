import type { ColumnInput } from '../block/index.ts';
import type {
  BinaryRecordsOptions,
  Cifar10Options,
  CsvReadOptions,
  Datasource,
  FileReadOptions,
  ParquetReadOptions,
} from '../source/index.ts';
import {
  arraysSource,
  binaryRecordsSource,
  cifar10Source,
  csvSource,
  itemsSource,
  jsonlSource,
  parquetSource,
  rangeSource,
} from '../source/index.ts';
import { Dataset } from './dataset.ts';

type Paths = string | readonly string[];

export function fromSource(source: Datasource): Dataset {
  return new Dataset({ kind: 'read', source });
}

/** Rows `{ id: 0 }` .. `{ id: n - 1 }`. */
export const range = (n: number, options?: { blockRows?: number }): Dataset =>
  fromSource(rangeSource(n, options));
/** Objects become rows; other values become `{ item }`. */
export const fromItems = (items: readonly unknown[], options?: { blockRows?: number }): Dataset =>
  fromSource(itemsSource(items, options));
/** Columnar input (typed arrays stay zero-copy; tensors as `{ data, shape: [rows, ...] }`). */
export const fromArrays = (
  columns: Readonly<Record<string, ColumnInput>>,
  options?: { blockRows?: number },
): Dataset => fromSource(arraysSource(columns, options));
export const readCsv = (paths: Paths, options?: CsvReadOptions): Dataset =>
  fromSource(csvSource(paths, options));
export const readJsonl = (paths: Paths, options?: FileReadOptions): Dataset =>
  fromSource(jsonlSource(paths, options));
export const readParquet = (paths: Paths, options?: ParquetReadOptions): Dataset =>
  fromSource(parquetSource(paths, options));
export const readBinaryRecords = (paths: Paths, options: BinaryRecordsOptions): Dataset =>
  fromSource(binaryRecordsSource(paths, options));
/** CIFAR-10 binary batches: `label` (int32) and `image` (HWC 32x32x3, uint8 or float32 in [0, 1]). */
export const readCifar10 = (paths: Paths, options?: Cifar10Options): Dataset =>
  fromSource(cifar10Source(paths, options));
