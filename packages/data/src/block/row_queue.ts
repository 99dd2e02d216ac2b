import { concatBlocks, sliceBlock } from './block.ts';
import type { Block } from './types.ts';

/**
 * Blocks queued to be re-cut into blocks of other sizes. `take(n)` returns the next n rows:
 * a view of one block when they lie in it, a copy only when they straddle blocks.
 */
export class RowQueue {
  private readonly pending: { block: Block; offset: number }[] = [];
  /** Rows queued and not yet taken. */
  rows = 0;

  push(block: Block): void {
    if (block.numRows === 0) return;
    this.pending.push({ block, offset: 0 });
    this.rows += block.numRows;
  }

  /** The blocks that still hold rows not taken. */
  blocks(): Block[] {
    return this.pending.map((p) => p.block);
  }

  take(n: number): Block {
    const parts: Block[] = [];
    let need = n;
    while (need > 0) {
      const head = this.pending[0];
      const k = Math.min(need, head.block.numRows - head.offset);
      parts.push(sliceBlock(head.block, head.offset, head.offset + k));
      head.offset += k;
      need -= k;
      if (head.offset === head.block.numRows) this.pending.shift();
    }
    this.rows -= n;
    return parts.length === 1 ? parts[0] : concatBlocks(parts);
  }
}
