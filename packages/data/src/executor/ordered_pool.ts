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
