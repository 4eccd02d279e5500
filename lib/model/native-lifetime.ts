// A loaded native model's lifetime, the same for Model and CrossEncoder: calls are accepted until
// dispose(); the native model is freed only after the last accepted call has settled and the
// scheduler (when there is one) is idle, so no batch ever runs on freed memory.
import type { NativeModel } from '../binding';
import { DisposedError } from '../errors';
import type { Scheduler } from './scheduler';

export class NativeLifetime {
  #native: NativeModel | undefined;
  readonly #scheduler: Scheduler | undefined;
  readonly #disposedMessage: string | undefined;
  // Calls accepted and not yet settled.
  #pending = 0;
  #disposed = false;

  constructor(native: NativeModel, scheduler: Scheduler | undefined, disposedMessage?: string) {
    this.#native = native;
    this.#scheduler = scheduler;
    this.#disposedMessage = disposedMessage;
    if (scheduler) scheduler.onIdle = () => this.#release();
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** The native model; DisposedError once dispose() was called. */
  live(): NativeModel {
    if (this.#disposed || !this.#native) throw new DisposedError(this.#disposedMessage);
    return this.#native;
  }

  /** Runs an accepted call: dispose() waits for it (and for the scheduler's work) before freeing. */
  async accepted<T>(call: () => Promise<T>): Promise<T> {
    this.#pending++;
    try {
      return await call();
    } finally {
      this.#pending--;
      this.#release();
    }
  }

  /** Refuses later calls and frees the native model once nothing accepted is left. */
  dispose(): void {
    this.#disposed = true;
    this.#release();
  }

  #release(): void {
    if (!this.#disposed || !this.#native || this.#pending > 0 || (this.#scheduler && !this.#scheduler.idle)) return;
    this.#native.dispose();
    this.#native = undefined;
  }
}
