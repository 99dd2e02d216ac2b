/**
 * A thread that does the experiment folder's small file writes with plain synchronous fs
 * calls, a batch per message. A sweep of short trials makes a folder and three files per trial;
 * through the libuv pool each of those is several requests with a callback into the driver's
 * event loop (open, write, close, rename), which costs the driver more than the writes
 * themselves. Here everything asked for in one turn of the event loop goes as one message.
 */
import { Worker } from 'node:worker_threads';

/** One step of a batch; `write` is atomic (temp file, then rename), `append` is not. */
export type IoOp =
  | { readonly kind: 'mkdir'; readonly path: string }
  | { readonly kind: 'write'; readonly path: string; readonly text: string }
  | { readonly kind: 'append'; readonly path: string; readonly text: string };

// Plain JavaScript (eval'd), so the thread needs no TypeScript loader.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
let counter = 0;
parentPort.on('message', ({ id, ops }) => {
  const errors = [];
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index];
    try {
      if (op.kind === 'mkdir') fs.mkdirSync(op.path, { recursive: true });
      else if (op.kind === 'append') fs.appendFileSync(op.path, op.text);
      else {
        const temp = op.path + '.tmp-' + process.pid + '-t' + counter++;
        fs.writeFileSync(temp, op.text);
        fs.renameSync(temp, op.path);
      }
    } catch (e) {
      errors.push({ index, message: e.message, code: e.code, path: op.path });
    }
  }
  parentPort.postMessage({ id, errors });
});
`;

interface Reply {
  readonly id: number;
  /** The ops that failed, by index in the message. */
  readonly errors: { index: number; message: string; code?: string; path: string }[];
}

interface Waiter {
  readonly done: () => void;
  readonly fail: (error: Error) => void;
  /** Indexes of this run's first and last op in its message. */
  readonly start: number;
  readonly end: number;
}

class IoThread {
  private worker: Worker | undefined;
  /** Messages sent and not answered, by id; each settles its runs in op order. */
  private readonly sent = new Map<number, Waiter[]>();
  /** Runs asked for in this turn of the event loop: one message takes them all. */
  private ops: IoOp[] = [];
  private waiters: Waiter[] = [];
  private nextId = 0;

  private start(): Worker {
    const worker = new Worker(SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => {
      const waiters = this.sent.get(reply.id);
      if (!waiters) return;
      this.sent.delete(reply.id);
      if (this.sent.size === 0 && this.ops.length === 0) worker.unref();
      for (const w of waiters) {
        const error = reply.errors.find((e) => e.index <= w.end && e.index >= w.start);
        if (!error) w.done();
        else w.fail(Object.assign(new Error(`${error.message} (${error.path})`), { code: error.code }));
      }
    });
    const dead = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiters of this.sent.values()) for (const w of waiters) w.fail(error);
      this.sent.clear();
    };
    worker.on('error', dead);
    worker.on('exit', (code) => dead(new Error(`the file writing thread exited (code ${code})`)));
    worker.unref();
    return worker;
  }

  /** Runs the ops in order (after every op asked for before); every op is tried, the first failure rejects. */
  run(ops: readonly IoOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    if (this.ops.length === 0) setImmediate(() => this.send());
    const start = this.ops.length;
    for (const op of ops) this.ops.push(op);
    return new Promise<void>((done, fail) => {
      this.waiters.push({ done, fail, start, end: this.ops.length - 1 });
    });
  }

  private send(): void {
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    if (ops.length === 0) return;
    this.worker ??= this.start();
    const id = this.nextId++;
    this.sent.set(id, waiters);
    // Held while work is outstanding, so the process cannot exit with writes unanswered.
    this.worker.ref();
    this.worker.postMessage({ id, ops });
  }
}

/** One per process: the thread is started on first use and never keeps the process alive idle. */
export const ioThread = new IoThread();
