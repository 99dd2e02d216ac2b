import { describe, expect, it } from 'vitest';
import { Mailbox } from './mailbox.ts';
import { type Frame, FrameKind } from './types.ts';

const frame = (seq: number, from: number, msg: number): Frame => ({
  kind: FrameKind.data,
  from,
  seq,
  msg,
  op: { code: 1, dtype: 1, count: 1, arg: 1, wire: 0 },
  payload: new Uint8Array([seq, from, msg]),
});

describe('collective mailbox', () => {
  it('mailbox - matches frames to waiters by sequence, sender and message, in either order', async () => {
    const box = new Mailbox();
    box.deliver(frame(1, 2, 3));
    const early = await box.take(1, 2, 3);
    expect([...early.payload]).toEqual([1, 2, 3]);
    const late = box.take(2, 0, 0);
    box.deliver(frame(3, 0, 0)); // a later op's frame does not satisfy it
    box.deliver(frame(2, 0, 0));
    expect([...(await late).payload]).toEqual([2, 0, 0]);
    expect(box.peek(3)).toHaveLength(1);
    box.dropSeq(3);
    expect(box.peek(3)).toHaveLength(0);
  });

  it('mailbox - a closed sender rejects waits now and later; failSeq rejects only that op', async () => {
    const box = new Mailbox();
    const a = box.take(1, 4, 0);
    const b = box.take(1, 5, 0);
    const c = box.take(2, 5, 0);
    expect(box.waitingOn(1)).toEqual([4, 5]);
    box.closeFrom(4, new Error('rank 4 lost'));
    await expect(a).rejects.toThrow('rank 4 lost');
    await expect(box.take(9, 4, 0)).rejects.toThrow('rank 4 lost');
    box.failSeq(1, new Error('op 1 failed'));
    await expect(b).rejects.toThrow('op 1 failed');
    box.deliver(frame(2, 5, 0));
    await expect(c).resolves.toBeTruthy();
  });
});
