import type { Block } from '../block/index.ts';
import { blockRows } from '../block/index.ts';
import { plainValue } from './values.ts';

/** A block as JSON Lines; tensor cells become arrays. */
export function encodeJsonl(block: Block): string {
  let out = '';
  for (const row of blockRows(block)) {
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) plain[k] = plainValue(v);
    out += `${JSON.stringify(plain)}\n`;
  }
  return out;
}
