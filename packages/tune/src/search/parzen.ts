// Parzen estimators for TPE: a truncated-Gaussian mixture for numbers, smoothed counts for
// categories. Bandwidths follow HyperOpt/Optuna: the larger gap to a neighbour, clipped to
// [range / min(100, 1 + n), range], plus a prior component over the whole range.

import type { Rng } from './rng.ts';

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-ax * ax);
  return sign * y;
}
const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

export class NumericParzen {
  private readonly mus: number[];
  private readonly sigmas: number[];
  private readonly weights: number[];
  private readonly norms: number[];

  constructor(
    observations: readonly number[],
    private readonly low: number,
    private readonly high: number,
    prior: { mu: number; sigma: number; weight: number },
  ) {
    const range = high - low;
    const points = [...observations, prior.mu];
    const order = points.map((_, i) => i).sort((a, b) => points[a] - points[b]);
    const sorted = order.map((i) => points[i]);
    const sigmaSorted = sorted.map((x, k) => {
      const left = k > 0 ? sorted[k - 1] : low;
      const right = k < sorted.length - 1 ? sorted[k + 1] : high;
      return Math.max(x - left, right - x);
    });
    const minSigma = range / Math.min(100, 1 + points.length);
    this.mus = points;
    this.sigmas = new Array(points.length);
    order.forEach((original, k) => {
      this.sigmas[original] = Math.min(Math.max(sigmaSorted[k], minSigma), range);
    });
    this.sigmas[points.length - 1] = prior.sigma;
    const raw = points.map((_, i) => (i === points.length - 1 ? prior.weight : 1));
    const total = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / total);
    this.norms = this.mus.map((mu, i) => {
      const mass = normalCdf((high - mu) / this.sigmas[i]) - normalCdf((low - mu) / this.sigmas[i]);
      return Math.max(mass, 1e-12);
    });
  }

  sample(rng: Rng): number {
    let u = rng.next();
    let k = 0;
    while (k < this.weights.length - 1 && u >= this.weights[k]) u -= this.weights[k++];
    for (let attempt = 0; attempt < 100; attempt++) {
      const x = this.mus[k] + this.sigmas[k] * rng.normal();
      if (x >= this.low && x <= this.high) return x;
    }
    return Math.min(Math.max(this.mus[k], this.low), this.high);
  }

  logPdf(x: number): number {
    let p = 0;
    for (let i = 0; i < this.mus.length; i++) {
      const z = (x - this.mus[i]) / this.sigmas[i];
      p +=
        (this.weights[i] * Math.exp(-0.5 * z * z)) /
        (this.sigmas[i] * Math.sqrt(2 * Math.PI) * this.norms[i]);
    }
    return Math.log(Math.max(p, 1e-300));
  }
}

export class CategoricalParzen {
  private readonly probs: number[];

  constructor(observations: readonly number[], size: number, priorWeight: number) {
    const counts = new Array<number>(size).fill(priorWeight / size);
    for (const index of observations) counts[index] += 1;
    const total = counts.reduce((a, b) => a + b, 0);
    this.probs = counts.map((c) => c / total);
  }

  sample(rng: Rng): number {
    let u = rng.next();
    for (let i = 0; i < this.probs.length - 1; i++) {
      if (u < this.probs[i]) return i;
      u -= this.probs[i];
    }
    return this.probs.length - 1;
  }

  logPdf(index: number): number {
    return Math.log(this.probs[index]);
  }
}
