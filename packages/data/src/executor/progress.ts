import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { Block } from '../block/index.ts';
import type { OperatorStats } from './types.ts';

/** Whether to draw progress bars: `auto` draws them only on an interactive terminal. */
export type ProgressMode = boolean | 'auto';

export function progressEnabled(mode: ProgressMode, stream: { isTTY?: boolean } = process.stderr): boolean {
  if (mode !== 'auto') return mode;
  if (process.env.MANTA_DATA_PROGRESS === '0' || process.env.CI) return false;
  return Boolean(process.stdout.isTTY && stream.isTTY);
}

/**
 * One bar per operator on the driver (rows, blocks, rows/s), redrawn in place on stderr; the
 * bar fills when the operator's row total is known (sources estimate theirs).
 */
export class ProgressDisplay {
  private readonly multibar: cliProgress.MultiBar;
  private readonly bars = new Map<OperatorStats, cliProgress.SingleBar>();

  constructor(stream: Writable = process.stderr) {
    this.multibar = new cliProgress.MultiBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: ' {name} |{bar}| {value} rows, {blocks} blocks, {rate} rows/s',
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
        // The caller decided to draw; cli-progress would otherwise check the stream itself.
        noTTYOutput: true,
        notTTYSchedule: 200,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(op: OperatorStats): void {
    const payload = { name: op.name.padEnd(24).slice(0, 24), blocks: op.blocks, rate: rate(op) };
    let bar = this.bars.get(op);
    if (!bar) {
      bar = this.multibar.create(op.totalRows ?? 0, op.rows, payload);
      this.bars.set(op, bar);
    }
    if (op.totalRows !== undefined) bar.setTotal(Math.max(op.totalRows, op.rows));
    else bar.setTotal(op.rows);
    bar.update(op.rows, payload);
  }

  stop(): void {
    this.multibar.stop();
  }
}

function rate(op: OperatorStats): number {
  const seconds = (performance.now() - op.startedAt) / 1000;
  return seconds > 0 ? Math.round(op.rows / seconds) : 0;
}

/** Count what a stage yields into `op` (and redraw its bar). */
export async function* counted(
  op: OperatorStats,
  input: AsyncIterable<Block>,
  display: ProgressDisplay | undefined,
): AsyncGenerator<Block> {
  for await (const block of input) {
    op.rows += block.numRows;
    op.blocks++;
    display?.update(op);
    yield block;
  }
}
