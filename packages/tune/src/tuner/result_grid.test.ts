import { describe, expect, it } from 'vitest';
import { TrialFailedError } from '../errors/index.ts';
import { type Result, ResultGrid } from './result_grid.ts';

function result(
  trialId: string,
  values: number[],
  status: Result['status'] = 'TERMINATED',
  error?: TrialFailedError,
): Result {
  const history = values.map((acc, i) => ({ acc, trainingIteration: i + 1 }));
  return {
    trialId,
    status,
    config: { id: trialId },
    metrics: history[history.length - 1],
    metricsHistory: history,
    checkpoint: undefined,
    path: `/exp/${trialId}`,
    error,
  };
}

describe('result grid', () => {
  // a peaks early then collapses; b is steady; c ends highest but averages low.
  const grid = new ResultGrid(
    [
      result('a', [0.1, 0.95, 0.2, 0.2, 0.2, 0.2]),
      result('b', [0.6, 0.6, 0.6, 0.6, 0.6, 0.6]),
      result('c', [0, 0, 0, 0, 0, 0.7]),
      result('d', [Number.NaN]),
      result('e', [], 'ERROR', new TrialFailedError('e', 'Error: boom', 'Error: boom\n    at here')),
    ],
    '/exp',
    { metric: 'acc', mode: 'max' },
  );

  it('grid - best result depends on the scope', () => {
    expect(grid.getBestResult().trialId).toBe('c');
    expect(grid.getBestResult('acc', 'max', 'all').trialId).toBe('a');
    expect(grid.getBestResult('acc', 'max', 'avg').trialId).toBe('b');
    expect(grid.getBestResult('acc', 'max', 'last-5-avg').trialId).toBe('b');
    expect(grid.getBestResult('acc', 'min', 'last').trialId).toBe('a');
  });

  it('grid - NaN is skipped unless asked for; missing metric or mode is an error', () => {
    expect(grid.getBestResult('acc', 'min', 'last', true).trialId).not.toBe('d');
    expect(() => new ResultGrid([], '/x').getBestResult()).toThrow(/metric and mode/);
    expect(() => grid.getBestResult('loss')).toThrow(/No trial reported metric 'loss'/);
    expect(() => grid.getBestResult('acc', 'max', 'median' as never)).toThrow(/scope must be one of/);
  });

  it('grid - counts, errors and exports', () => {
    expect(grid.length).toBe(5);
    expect(grid.numErrors).toBe(1);
    expect(grid.numTerminated).toBe(4);
    expect(grid.errors[0].remoteStack).toContain('at here');
    const csv = grid.toCsv().trim().split('\n');
    expect(csv).toHaveLength(6);
    expect(csv[0]).toBe('trialId,status,config.id,acc,trainingIteration,error');
    expect(JSON.parse(grid.toJson())[4].error.message).toContain('boom');
    expect(grid.table().split('\n')).toHaveLength(7);
    expect(() => grid.get(9)).toThrow(RangeError);
  });
});
