import type { Logger } from '@wallet/logger';

/**
 * The log of a run of consecutive failures, written for an operator: a warn line at the first, an error line once the
 * run reaches `errorAfter` (only something that keeps failing needs a person), and an info line when it ends. The
 * failures in between are not logged: a retrying loop would otherwise write one error per attempt for as long as a
 * dependency is down, and bury what needs attention.
 */
export class FailureStreak {
  readonly #log: Logger;
  readonly #fields: Readonly<Record<string, unknown>>;
  readonly #what: string;
  readonly #errorAfter: number;
  #count = 0;
  /** Whether this streak has written a line, so its end is worth one too. */
  #logged = false;

  /**
   * @param log where the lines go
   * @param fields added to every line (which task, which stream)
   * @param what the subject of the messages (`'periodic task'`: `'periodic task failed; retrying'`)
   * @param errorAfter consecutive failures that make the streak an error
   */
  constructor(log: Logger, fields: Readonly<Record<string, unknown>>, what: string, errorAfter: number) {
    this.#log = log;
    this.#fields = fields;
    this.#what = what;
    this.#errorAfter = errorAfter;
  }

  /** Consecutive failures so far (0: healthy). */
  get count(): number {
    return this.#count;
  }

  /** Counts one failure, and logs it if it is the first (warn) or the `errorAfter`th (error). */
  failed(error: unknown): void {
    this.#count++;
    if (this.#count === this.#errorAfter) {
      this.#log.error({ ...this.#fields, err: error, failures: this.#count }, `${this.#what} keeps failing; retrying`);
    } else if (this.#count === 1) {
      this.#log.warn({ ...this.#fields, err: error }, `${this.#what} failed; retrying`);
    } else return;
    this.#logged = true;
  }

  /**
   * Logs a trouble that is not a failure of its own (nobody need act: e.g. a stream that vanished and is re-created),
   * at warn and once per streak; its end is then logged like a failure's.
   */
  troubled(fields: Readonly<Record<string, unknown>>, message: string): void {
    if (!this.#logged) this.#log.warn({ ...this.#fields, ...fields }, message);
    this.#logged = true;
  }

  /** Ends the streak, with an info line if it wrote anything. */
  succeeded(): void {
    if (this.#logged) this.#log.info({ ...this.#fields, failures: this.#count }, `${this.#what} recovered`);
    this.#count = 0;
    this.#logged = false;
  }
}
