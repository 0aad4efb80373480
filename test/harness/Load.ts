import type { ApiResponse } from './ApiClient.js';

export type LoadOptions = {
  /** Clients working at once, each running the step in a loop. */
  readonly workers: number;
  /** At most this many steps a second over all workers (each worker's step then takes at least workers/rate s). @default as fast as the cluster answers */
  readonly stepsPerSecond?: number;
};

export type LoadReport = {
  readonly requests: number;
  /** One line per failed request: when, what, and the status and body or the error. */
  readonly failures: readonly string[];
  readonly seconds: number;
  readonly perSecond: number;
};

/**
 * Clients working in parallel until stopped, for the tests that change the cluster under load (adding a transrv,
 * rolling gatesrv). Each worker runs `step` in a loop; a step sends its requests through {@link Load.expect}, which
 * counts each and records as a failure any answer with another status and any request with no answer at all (a
 * refused or reset connection). The loop goes on after a failure, so that a run reports all of them.
 */
export class Load {
  #requests = 0;
  readonly #failures: string[] = [];
  #running = true;
  readonly #started = Date.now();
  readonly #workers: Promise<void>[];

  private constructor(options: LoadOptions, step: (load: Load, worker: number) => Promise<void>) {
    const minStepMs = options.stepsPerSecond === undefined ? 0 : (options.workers / options.stepsPerSecond) * 1000;
    const run = async (worker: number): Promise<void> => {
      while (this.#running) {
        const began = Date.now();
        try {
          await step(this, worker);
        } catch (error) {
          this.#failures.push(`${new Date().toISOString()} worker ${worker}: step threw ${String(error)}`);
        }
        const rest = minStepMs - (Date.now() - began);
        if (rest > 0 && this.#running) await new Promise((resolve) => setTimeout(resolve, rest));
      }
    };
    this.#workers = Array.from({ length: options.workers }, (_, i) => run(i));
  }

  /** Starts `options.workers` workers running `step`. */
  static start(options: LoadOptions, step: (load: Load, worker: number) => Promise<void>): Load {
    return new Load(options, step);
  }

  /** Requests sent so far. */
  get requests(): number {
    return this.#requests;
  }

  /**
   * Sends one request and checks its answer.
   * @param what names the request in a failure line
   * @param status the one status that counts as success
   * @returns the answer when it has `status`, else undefined (and a failure is recorded)
   */
  async expect<T>(what: string, status: number, send: () => Promise<ApiResponse<T>>): Promise<ApiResponse<T> | undefined> {
    this.#requests++;
    try {
      const res = await send();
      if (res.status === status) return res;
      this.#failures.push(`${new Date().toISOString()} ${what}: ${res.status} ${JSON.stringify(res.body)}`);
    } catch (error) {
      // fetch's own error says only "fetch failed"; the socket's (ECONNREFUSED, ECONNRESET, ...) is its cause.
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      this.#failures.push(`${new Date().toISOString()} ${what}: no answer, ${String(error)}${cause}`);
    }
    return undefined;
  }

  /** Lets every worker finish its step, then reports the whole run. */
  async stop(): Promise<LoadReport> {
    this.#running = false;
    await Promise.all(this.#workers);
    const seconds = (Date.now() - this.#started) / 1000;
    return { requests: this.#requests, failures: [...this.#failures], seconds, perSecond: Math.round(this.#requests / seconds) };
  }
}
