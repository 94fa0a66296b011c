/** Runs the functions given to it one at a time, in call order; a failure does not block the next. */
export type SerialLock = <T>(fn: () => Promise<T>) => Promise<T>;

export function serialLock(): SerialLock {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
