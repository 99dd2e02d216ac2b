/**
 * Run `run` on items from `input` with up to `concurrency` at once, each on a free worker slot,
 * yielding results in input order. It keeps pulling input while earlier items run, but never
 * blocks a finished head result behind a slow upstream.
 */
export async function* orderedPool<I, O>(
  input: AsyncIterator<I>,
  concurrency: number,
  run: (item: I, worker: number) => Promise<O>,
): AsyncGenerator<O> {
  const free = Array.from({ length: concurrency }, (_, i) => i);
  const running: { result: Promise<O>; settled: Promise<unknown> }[] = [];
  let next: Promise<IteratorResult<I>> | undefined;
  let done = false;
  try {
    for (;;) {
      while (!done && free.length > 0) {
        next ??= input.next();
        if (running.length > 0) {
          const first = await Promise.race([
            next.then(() => 'input' as const),
            running[0].settled.then(() => 'head' as const),
          ]);
          if (first === 'head') break;
        }
        const item = await next;
        next = undefined;
        if (item.done) {
          done = true;
          break;
        }
        const worker = free.shift() as number;
        const result = (async () => {
          try {
            return await run(item.value, worker);
          } finally {
            free.push(worker);
          }
        })();
        running.push({
          result,
          settled: result.then(
            () => undefined,
            () => undefined,
          ),
        });
      }
      const head = running.shift();
      if (!head) return;
      yield await head.result;
    }
  } finally {
    if (!done) await input.return?.();
  }
}

type Settled<O> = { id: number; ok: true; value: O } | { id: number; ok: false; error: unknown };

/** Like `orderedPool`, but yields each result as soon as it is ready (completion order). */
export async function* unorderedPool<I, O>(
  input: AsyncIterator<I>,
  concurrency: number,
  run: (item: I, worker: number) => Promise<O>,
): AsyncGenerator<O> {
  const free = Array.from({ length: concurrency }, (_, i) => i);
  const running = new Map<number, Promise<Settled<O>>>();
  let next: Promise<IteratorResult<I>> | undefined;
  let done = false;
  let ids = 0;
  const finish = (s: Settled<O>): O => {
    running.delete(s.id);
    if (!s.ok) throw s.error;
    return s.value;
  };
  try {
    for (;;) {
      if (!done && free.length > 0) {
        next ??= input.next();
        if (running.size > 0) {
          const first = await Promise.race([next.then(() => undefined), ...running.values()]);
          if (first) {
            yield finish(first);
            continue;
          }
        }
        const item = await next;
        next = undefined;
        if (item.done) {
          done = true;
          continue;
        }
        const worker = free.shift() as number;
        const id = ids++;
        running.set(
          id,
          run(item.value, worker)
            .then(
              (value): Settled<O> => ({ id, ok: true, value }),
              (error): Settled<O> => ({ id, ok: false, error }),
            )
            .finally(() => free.push(worker)),
        );
        continue;
      }
      if (running.size === 0) return;
      yield finish(await Promise.race(running.values()));
    }
  } finally {
    if (!done) await input.return?.();
  }
}
