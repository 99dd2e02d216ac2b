import type { Block } from '../block/index.ts';
import { blockRows } from '../block/index.ts';
import { plainValue } from './values.ts';

function field(value: unknown, delimiter: string): string {
  const v = plainValue(value);
  const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return text.includes(delimiter) || text.includes('"') || text.includes('\n') || text.includes('\r')
    ? `"${text.replace(/"/g, '""')}"`
    : text;
}

/** A block as CSV text with a header row; tensor cells are written as JSON arrays. */
export function encodeCsv(block: Block, delimiter = ','): string {
  const names = Object.keys(block.columns);
  const lines = [names.map((n) => field(n, delimiter)).join(delimiter)];
  for (const row of blockRows(block)) lines.push(names.map((n) => field(row[n], delimiter)).join(delimiter));
  return `${lines.join('\n')}\n`;
}
