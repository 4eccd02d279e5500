// Call order of one Index or PostgresStore: calls take effect in the order they were made, as a
// reader of the code expects (`add` then `search` without awaiting finds what was added). Reads
// run together; a write starts once every earlier call has settled, and calls made after a write
// wait for it. A call with nothing to wait for starts at once, in the caller's tick, so that the
// native layer copies its inputs before the caller can change them.

export type CallKind = 'read' | 'write';

interface Waiting {
  kind: CallKind;
  start: () => void;
  next?: Waiting;
}

export class CallOrder {
  #reading = 0;
  #writing = false;
  #first?: Waiting;
  #last?: Waiting;

  /** Whether a call of `kind` made now would wait for earlier ones (its inputs must then be copied). */
  waits(kind: CallKind): boolean {
    return this.#first !== undefined || this.#writing || (kind === 'write' && this.#reading > 0);
  }

  /** Runs `call` once the calls made before it allow; its result or error is the caller's alone. */
  run<T>(kind: CallKind, call: () => Promise<T>): Promise<T> {
    if (!this.waits(kind)) return this.#start(kind, call);
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = { kind, start: () => void this.#start(kind, call).then(resolve, reject) };
      if (this.#last) this.#last.next = waiting;
      else this.#first = waiting;
      this.#last = waiting;
    });
  }

  #start<T>(kind: CallKind, call: () => Promise<T>): Promise<T> {
    if (kind === 'write') this.#writing = true;
    else this.#reading++;
    let running: Promise<T>;
    try {
      running = call();
    } catch (err) {
      running = Promise.reject(err);
    }
    // A failed call releases its turn like any other, so later calls neither hang nor fail with it.
    return running.finally(() => {
      if (kind === 'write') this.#writing = false;
      else this.#reading--;
      this.#next();
    });
  }

  #next(): void {
    for (let head = this.#first; head; head = this.#first) {
      if (this.#writing || (head.kind === 'write' && this.#reading > 0)) return;
      this.#first = head.next;
      if (!this.#first) this.#last = undefined;
      head.start();
    }
  }
}
