/**
 * The Redis pub/sub channel on which sequencers announce `<clientId> <lastSeq>` after each commit. A hint that wakes
 * long polls and streams at once; readers poll MySQL on a timer as well, so a lost message only delays them.
 */
export function eventsChannel(env: string): string {
  return `wallet:${env}:events`;
}

/** Parses a message of {@link eventsChannel}. */
export function parseEventsMessage(message: string): { clientId: string; seq: number } | undefined {
  const [clientId, seq] = message.split(' ');
  const n = Number(seq);
  return clientId && Number.isSafeInteger(n) ? { clientId, seq: n } : undefined;
}
