/**
 * Redis keys of the withdrawal pipeline, under the environment's prefix (`wallet:<env>:`) so clusters sharing a
 * Redis never see each other's messages. Redis only carries messages: MySQL holds the truth, and every message is
 * re-sent from a MySQL outbox until its effect is visible there, so a Redis restart or FLUSHALL loses nothing.
 */
export function blockoutKeys(env: string): { req: string; rsp: string; ctx: string } {
  const prefix = `wallet:${env}:`;
  return {
    /** Stream: withdrawals for review, transrv -> signsrv. */
    req: `${prefix}blockout_req`,
    /** Stream: decisions and progress, signsrv -> transrv (each node reads it in its own consumer group). */
    rsp: `${prefix}blockout_rsp`,
    /** Hash: txhash -> localhash of every transaction signsrv signed, written before it is broadcast. */
    ctx: `${prefix}blockout_ctx`,
  };
}
