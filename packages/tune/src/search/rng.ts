import seedrandom from 'seedrandom';

/** A seeded random source whose state can be saved to plain data and restored. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  save(): object;
}

/** Seeded with `seed` (any value; undefined draws a fresh seed), or resumed from `state`. */
export function createRng(seed?: number | string, state?: object): Rng {
  const prng = state
    ? seedrandom('', { state: state as seedrandom.State.Arc4 })
    : seedrandom(seed === undefined ? undefined : String(seed), { state: true });
  return {
    next: () => prng.quick(),
    normal() {
      let u = 0;
      while (u === 0) u = prng.quick();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * prng.quick());
    },
    int: (n: number) => Math.floor(prng.quick() * n),
    save: () => prng.state() as object,
  };
}

/** Derive a child seed from a parent seed and a label, so components do not share streams. */
export function childSeed(seed: number | string | undefined, label: string): string | undefined {
  return seed === undefined ? undefined : `${seed}/${label}`;
}
