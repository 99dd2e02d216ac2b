import { spawnSync } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';

/** This machine's resources: CPUs, NVIDIA GPUs (via nvidia-smi when present), memory in bytes. */
export function detectResources(): Record<string, number> {
  return { CPU: availableParallelism(), GPU: detectGpus(), memory: totalmem() };
}

export function detectGpus(): number {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) return visible.trim() === '' ? 0 : visible.split(',').length;
  const probe = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 });
  if (probe.error || probe.status !== 0) return 0;
  return probe.stdout.split('\n').filter((line) => line.startsWith('GPU ')).length;
}
