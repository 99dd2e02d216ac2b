import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionMissingError } from '../errors/index.ts';
import { LocalTrialExecutor } from './local.ts';
import { getCheckpoint, report } from './session.ts';
import { ReportReply, type StartTrialRequest, type TrialReport, type TrialSink } from './types.ts';

const request = (over: Partial<StartTrialRequest> = {}): StartTrialRequest => ({
  trialId: 't1',
  trialName: 'trial_t1',
  experimentName: 'exp',
  trialDir: '/tmp',
  config: { a: 1 },
  checkpoint: undefined,
  iteration: 0,
  checkpointFrequency: 0,
  checkpointAtEnd: false,
  ...over,
});

/** A sink that answers `replies` in order (CONTINUE after them) and records what it got. */
function fakeSink(replies: ReportReply[] = []) {
  const reports: TrialReport[] = [];
  const checkpoints: string[] = [];
  const sink: TrialSink = {
    report: async (_id, r) => {
      reports.push(r);
      return replies.shift() ?? ReportReply.Continue;
    },
    checkpoint: async (_id, dir) => {
      if (typeof dir === 'string') checkpoints.push(readFileSync(join(dir, 'n'), 'utf8'));
    },
  };
  return { sink, reports, checkpoints };
}

describe('local executor', () => {
  it('executor - a function trainable ends when the controller replies STOP; its return value is a last report', async () => {
    const { sink, reports } = fakeSink([ReportReply.Continue, ReportReply.Stop]);
    let after = false;
    const exit = await new LocalTrialExecutor(async () => {
      for (let i = 0; i < 10; i++) await report({ i });
      after = true;
    }).start(request(), sink);
    expect(exit).toEqual({ kind: 'stopped' });
    expect(reports.map((r) => r.metrics.i)).toEqual([0, 1]);
    expect(after).toBe(false);

    const done = fakeSink();
    expect(await new LocalTrialExecutor(() => ({ final: 7 })).start(request(), done.sink)).toEqual({
      kind: 'finished',
    });
    expect(done.reports[0].metrics).toEqual({ final: 7 });
  });

  it('executor - errors come back as errored exits; stop() interrupts at the next report', async () => {
    const boom = await new LocalTrialExecutor(async () => {
      throw new TypeError('nope');
    }).start(request(), fakeSink().sink);
    expect(boom.kind).toBe('errored');
    const executor = new LocalTrialExecutor(async () => {
      for (;;) {
        await new Promise((r) => setImmediate(r));
        await report({ x: 1 });
      }
    });
    const { sink, reports } = fakeSink();
    const run = executor.start(request(), sink);
    await new Promise((r) => setTimeout(r, 5));
    executor.stop('t1');
    expect(await run).toEqual({ kind: 'stopped' });
    expect(reports.length).toBeGreaterThan(0);
  });

  it('executor - getCheckpoint/report outside a trial throw SessionMissingError; inside they see the request', async () => {
    expect(() => getCheckpoint()).toThrow(SessionMissingError);
    let seen: string | undefined;
    await new LocalTrialExecutor(() => {
      seen = getCheckpoint();
    }).start(request({ checkpoint: '/ckpt/dir' }), fakeSink().sink);
    expect(seen).toBe('/ckpt/dir');
  });

  it('executor - a class trainable saves a checkpoint when paused and at the checkpoint frequency', async () => {
    class Counter {
      n = 0;
      step() {
        return { n: ++this.n };
      }
      saveCheckpoint(dir: string) {
        writeFileSync(join(dir, 'n'), String(this.n));
      }
    }
    const { sink, reports, checkpoints } = fakeSink([
      ReportReply.Continue,
      ReportReply.Continue,
      ReportReply.Pause,
    ]);
    const exit = await new LocalTrialExecutor(Counter).start(request({ checkpointFrequency: 2 }), sink);
    expect(exit).toEqual({ kind: 'stopped' });
    expect(reports.map((r) => [r.metrics.n, r.checkpoint !== undefined])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect(checkpoints).toEqual(['3']);
  });
});
