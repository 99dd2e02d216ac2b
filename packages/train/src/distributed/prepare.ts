import * as tf from '@tensorflow/tfjs';
import { allReduceTensors, GradientAverager } from '../collective-tfjs/index.ts';
import { currentSession } from '../session/index.ts';

/**
 * Makes every rank start from rank 0's weights: broadcasts them over the run's collective
 * group and sets them on the model. With one worker it does nothing.
 */
export async function prepareModel<M extends tf.LayersModel>(model: M): Promise<M> {
  const { group } = currentSession('prepareModel');
  if (!group || group.worldSize === 1) return model;
  const weights = model.getWeights();
  const host = await Promise.all(weights.map(async (w) => new Float32Array(await w.data())));
  for (const buffer of host) await group.broadcast(buffer, 0);
  const next = host.map((buffer, i) => tf.tensor(buffer, weights[i].shape, 'float32'));
  model.setWeights(next);
  tf.dispose(next);
  return model;
}

/**
 * An optimizer whose gradients are averaged over every rank before they are applied (Horovod's
 * DistributedOptimizer): each rank computes gradients on its own batch, `step` all-reduces
 * them in fused buckets, and every rank applies the same mean, so ranks stay identical.
 */
export class DistributedOptimizer {
  private readonly averager: GradientAverager | undefined;
  /** Steps taken and the time spent averaging gradients across ranks, for profiling. */
  readonly stats = { steps: 0, allReduceMs: 0 };

  constructor(
    readonly optimizer: tf.Optimizer,
    options: { bucketBytes?: number } = {},
  ) {
    const { group } = currentSession('DistributedOptimizer');
    this.averager =
      group && group.worldSize > 1
        ? new GradientAverager(group, {
            tf: tf as never,
            bucketBytes: options.bucketBytes,
            disposeInputs: true,
          })
        : undefined;
  }

  /** One step: gradients of `loss` (a scalar), averaged over ranks, applied. Resolves to this rank's loss. */
  async step(loss: () => tf.Scalar, varList?: tf.Variable[]): Promise<number> {
    const { value, grads } = this.optimizer.computeGradients(loss, varList);
    const started = performance.now();
    const averaged = this.averager ? await this.averager.average(grads) : grads;
    this.stats.allReduceMs += performance.now() - started;
    this.stats.steps++;
    this.optimizer.applyGradients(averaged);
    tf.dispose(averaged);
    const lossValue = (await value.data())[0];
    value.dispose();
    return lossValue;
  }
}

/** Averages a metric (e.g. accuracy) over ranks: every rank gets the mean. */
export async function allReduceMean(value: number): Promise<number> {
  const { group } = currentSession('allReduceMean');
  if (!group || group.worldSize === 1) return value;
  const buffer = new Float64Array([value]);
  await group.allReduce(buffer, 'mean');
  return buffer[0];
}

export { allReduceTensors };
