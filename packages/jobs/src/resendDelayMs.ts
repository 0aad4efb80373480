/** Sends after which the wait stops doubling: 16 times the first. */
const MAX_DOUBLINGS = 4;

/**
 * How long an outbox waits for a sent message's effect before sending it again: `baseMs`, doubling with each send
 * up to 16 times `baseMs`, so a receiver that is down is not flooded, and one that lost a message gets it again soon.
 * @param baseMs the wait after the first send
 * @param sentCount how many times the message was sent before this send (0 for the first)
 * @returns milliseconds
 */
export function resendDelayMs(baseMs: number, sentCount: number): number {
  return baseMs * 2 ** Math.min(sentCount, MAX_DOUBLINGS);
}
