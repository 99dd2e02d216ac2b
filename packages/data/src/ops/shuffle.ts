import seedrandom from 'seedrandom';
import type { Block } from '../block/index.ts';
import { concatBlocks, sliceBlock, takeRows } from '../block/index.ts';
import type { AllToAllFn } from './types.ts';

/** A seeded random source in [0, 1); unseeded when `seed` is undefined. */
export function rng(seed: number | string | undefined): () => number {
  return seed === undefined ? seedrandom() : seedrandom(String(seed));
}

/** Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, random: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Split a block into `n` nearly equal blocks (views). */
export function splitEvenly(block: Block, n: number): Block[] {
  const out: Block[] = [];
  const parts = Math.max(1, n);
  for (let k = 0; k < parts; k++) {
    out.push(
      sliceBlock(
        block,
        Math.floor((k * block.numRows) / parts),
        Math.floor(((k + 1) * block.numRows) / parts),
      ),
    );
  }
  return out;
}

/** Global shuffle: every row may land anywhere; same seed and input give the same order. */
export function shuffleFn(seed: number | string | undefined): AllToAllFn {
  return (blocks) => {
    const all = concatBlocks(blocks);
    if (all.numRows === 0) return [];
    const shuffled = takeRows(all, permutation(all.numRows, rng(seed)));
    return splitEvenly(shuffled, Math.max(1, blocks.length));
  };
}

export function repartitionFn(numBlocks: number): AllToAllFn {
  return (blocks) => {
    const all = concatBlocks(blocks);
    return all.numRows === 0 ? [] : splitEvenly(all, numBlocks);
  };
}
