import type { Resources } from '../protocol/index.ts';

/** Resource arithmetic on { CPU, GPU, memory, custom... } maps. Missing keys count as 0. */
export function fits(request: Resources, available: Resources): boolean {
  for (const [key, amount] of Object.entries(request)) {
    if (amount > 0 && (available[key] ?? 0) + 1e-9 < amount) return false;
  }
  return true;
}

export function subtract(from: Resources, amount: Resources): void {
  for (const [key, value] of Object.entries(amount)) from[key] = round((from[key] ?? 0) - value);
}

export function add(to: Resources, amount: Resources): void {
  for (const [key, value] of Object.entries(amount)) to[key] = round((to[key] ?? 0) + value);
}

export function formatResources(resources: Resources): string {
  return Object.entries(resources)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
