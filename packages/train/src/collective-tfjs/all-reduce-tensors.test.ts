import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { allReduceTensors, planTensorBuckets } from './all-reduce-tensors.ts';
import { GradientAverager } from './gradient-averager.ts';
import type { ReduceOpName, TensorReducer } from './types.ts';

/**
 * A fake group of `n` in-process ranks: each allReduceMany call waits until every rank made its
 * matching call (by per-rank call count), then reduces element-wise in rank order.
 */
function fakeGroups(n: number): (TensorReducer & { calls: number[][]; sent: unknown[][] })[] {
  const pending = new Map<
    number,
    { bufs: Float32Array[] | Int32Array[]; op: ReduceOpName; done: () => void }[]
  >();
  return Array.from({ length: n }, (_, rank) => {
    let seq = 0;
    const calls: number[][] = [];
    const sent: unknown[][] = [];
    return {
      worldSize: n,
      calls,
      sent,
      allReduceMany<T extends Float32Array | Float64Array | Int32Array>(
        buffers: T[],
        op: ReduceOpName = 'sum',
      ): Promise<T[]> {
        calls.push(buffers.map((b) => b.length));
        sent.push([...buffers]);
        const key = seq++;
        return new Promise((resolve) => {
          const list = pending.get(key) ?? [];
          list[rank] = { bufs: buffers as unknown as Float32Array[], op, done: () => resolve(buffers) };
          pending.set(key, list);
          if (list.filter(Boolean).length < n) return;
          buffers.forEach((_, j) => {
            const len = buffers[j].length;
            const acc = new Float64Array(len);
            for (let r = 0; r < n; r++) for (let i = 0; i < len; i++) acc[i] += list[r].bufs[j][i];
            for (let r = 0; r < n; r++)
              for (let i = 0; i < len; i++) list[r].bufs[j][i] = op === 'mean' ? acc[i] / n : acc[i];
          });
          setTimeout(() => {
            for (const p of list) p.done();
          }, 1);
        });
      },
    };
  });
}

describe('collective-tfjs allReduceTensors', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`allReduceTensors - ${backend}: new tensors of the same shapes and dtypes, inputs intact, nothing leaked`, async () => {
      await tf.setBackend(backend);
      await tf.ready();
      const groups = fakeGroups(3);
      const before = tf.memory().numTensors;
      const inputs = groups.map((_, r) => [
        tf.tensor2d([
          [1 + r, 2],
          [3, 4 * r],
        ]),
        tf.tensor1d([r, 10 * r, -r], 'int32'),
        tf.scalar(0.5 * r),
      ]);
      const outs = await Promise.all(
        groups.map((g, r) => allReduceTensors(g, inputs[r], 'mean', tf, { bucketBytes: 16 })),
      );
      for (const out of outs) {
        expect(out.map((t) => t.shape)).toEqual([[2, 2], [3], []]);
        expect(out.map((t) => t.dtype)).toEqual(['float32', 'int32', 'float32']);
        expect(await out[0].array()).toEqual([
          [2, 2],
          [3, 4],
        ]);
        expect(await out[1].array()).toEqual([1, 10, -1]); // int32 mean of [r, 10r, -r] over r = 0..2
        expect(await out[2].array()).toBeCloseTo(0.5);
      }
      // Inputs are untouched (tfjs storage was copied, not reduced in place).
      expect(await inputs[2][0].array()).toEqual([
        [3, 2],
        [3, 8],
      ]);
      // 16-byte buckets: the 2x2 tensor alone, then the int32 and scalar ones.
      expect(groups[0].calls).toEqual([[4], [3, 1]]);
      for (const out of outs) for (const t of out) t.dispose();
      for (const list of inputs) for (const t of list) t.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('allReduceTensors - bucket plans follow tensor order and size', () => {
    const ts = [tf.zeros([10]), tf.zeros([10]), tf.zeros([100]), tf.zeros([1])];
    expect(planTensorBuckets(ts, 80)).toEqual([[0, 1], [2], [3]]);
    expect(planTensorBuckets(ts, 1 << 20)).toEqual([[0, 1, 2, 3]]);
    for (const t of ts) t.dispose();
  });

  it('allReduceTensors - rejects non-numeric tensors with a clear error', async () => {
    const [g] = fakeGroups(1);
    const b = tf.tensor1d([1, 0], 'bool');
    await expect(allReduceTensors(g, [b], 'sum', tf)).rejects.toThrow(/float32 or int32 \(got bool/);
    b.dispose();
  });

  it('GradientAverager - averages a named gradient map across ranks and disposes inputs when asked', async () => {
    await tf.setBackend('cpu');
    const groups = fakeGroups(2);
    const grads = groups.map((_, r) => ({
      'dense/kernel': tf.fill([3, 2], r + 1),
      'dense/bias': tf.fill([2], 10 * r),
    }));
    const averagers = groups.map((g) => new GradientAverager(g, { tf, disposeInputs: true }));
    const outs = await Promise.all(averagers.map((a, r) => a.average(grads[r])));
    for (const out of outs) {
      expect(Object.keys(out).sort()).toEqual(['dense/bias', 'dense/kernel']);
      expect(await out['dense/kernel'].array()).toEqual([
        [1.5, 1.5],
        [1.5, 1.5],
        [1.5, 1.5],
      ]);
      expect(await out['dense/bias'].array()).toEqual([5, 5]);
      for (const t of Object.values(out)) t.dispose();
    }
    for (const g of grads) for (const t of Object.values(g)) expect(t.isDisposed).toBe(true);
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`GradientAverager - ${backend}: repeated steps reuse host buffers only where tensors copy values, earlier results intact`, async () => {
      await tf.setBackend(backend);
      await tf.ready();
      const groups = fakeGroups(2);
      const averagers = groups.map((g) => new GradientAverager(g, { tf, disposeInputs: true }));
      const step = (scale: number) =>
        Promise.all(
          averagers.map((a, r) =>
            a.average({ w: tf.fill([4, 3], scale * (r + 1)), b: tf.fill([3], -scale * r) }),
          ),
        );
      const first = await step(1);
      const second = await step(10);
      for (const out of first) {
        expect(await out.w.data()).toEqual(new Float32Array(12).fill(1.5));
        expect(await out.b.data()).toEqual(new Float32Array(3).fill(-0.5));
      }
      for (const out of second) {
        expect(await out.w.data()).toEqual(new Float32Array(12).fill(15));
        expect(await out.b.data()).toEqual(new Float32Array(3).fill(-5));
      }
      // One fused float32 bucket per step; wasm copies values into new tensors, so the buffer is
      // reused, while the cpu backend keeps a reference to it and needs a fresh one each step.
      const [call1, call2] = groups[0].sent;
      expect(call1).toHaveLength(1);
      expect(call2[0] === call1[0]).toBe(backend === 'wasm');
      for (const out of [...first, ...second]) for (const t of Object.values(out)) t.dispose();
    });
  }
});
