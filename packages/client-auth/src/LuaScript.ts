import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL once when the server does not know it yet (first
 * use, a restart, SCRIPT FLUSH). Unlike `redis.defineCommand`, it leaves the caller's client untouched
 * and stays typed.
 */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  /** @param source the script; KEYS and ARGV as documented next to it */
  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Runs the script atomically on the server.
   * @param redis connection to run it on
   * @param keys every key the script touches (KEYS)
   * @param args the other arguments (ARGV)
   * @returns the script's reply
   */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}
