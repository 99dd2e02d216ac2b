/**
 * Data-parallel gradient averaging for tfjs: `average(grads)` takes the map from
 * `optimizer.computeGradients(...).grads` and returns a new map of gradients averaged over every
 * rank of the group, bucketed like PyTorch DDP. Names are visited in sorted order so every rank
 * packs the same buckets. Feed the result to `optimizer.applyGradients`, then dispose it.
 */
import { allReduceTensors } from './all-reduce-tensors.ts';
import { loadTf } from './host.ts';
import { StagingBuffers } from './staging.ts';
import type { GradientAveragerOptions, NamedTensorMap, Tensor, TensorReducer, TfLike } from './types.ts';

export class GradientAverager {
  private readonly staging = new StagingBuffers();

  constructor(
    private readonly group: TensorReducer,
    private readonly options: GradientAveragerOptions & { tf?: TfLike } = {},
  ) {}

  async average(grads: NamedTensorMap): Promise<NamedTensorMap> {
    const names = Object.keys(grads).sort();
    const tensors = names.map((name) => grads[name]);
    const tf = await loadTf(this.options.tf);
    let averaged: Tensor[];
    try {
      averaged = await allReduceTensors(this.group, tensors, 'mean', tf, {
        bucketBytes: this.options.bucketBytes,
        staging: this.staging,
      });
    } finally {
      if (this.options.disposeInputs) for (const t of tensors) t.dispose();
    }
    const out: NamedTensorMap = {};
    for (const [i, name] of names.entries()) out[name] = averaged[i];
    return out;
  }
}
