// Without a limit of its own, a hub that stops sending (a half-open connection, a stuck proxy) holds
// an attempt for fetch's 300 s, and a load for attempts × that.
export const STALL_TIMEOUT_MS = 30_000;

/** Aborts an attempt's requests when nothing arrives for `ms`: no answer, or no bytes of the body. */
export class StallWatch {
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  fired = false;
  constructor(readonly ms: number) {
    this.touch();
  }
  get signal(): AbortSignal {
    return this.#controller.signal;
  }
  /** Something arrived: the wait starts again. */
  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#controller.abort();
    }, this.ms);
  }
  stop(): void {
    clearTimeout(this.#timer);
  }
}
