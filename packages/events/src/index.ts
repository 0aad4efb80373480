export { type NewEvent, appendEvents } from './appendEvents.js';
export { EventType, ResourceType, eventTypes, withdrawalEventType } from './eventTypes.js';
export { eventsChannel, parseEventsMessage } from './eventsChannel.js';
export { type FeedEvent, lastEventSeq, listEvents, readEvents } from './listEvents.js';
export {
  type DepositEventRow,
  type PaymentRequestEventRow,
  type RedPacketClaimEvent,
  type RedPacketEventRow,
  type TransferEventInput,
  type WithdrawalEventRow,
  depositEvent,
  paymentRequestEvent,
  redPacketEvent,
  transferCompletedEvent,
  withdrawalEvent,
} from './resourceEvents.js';
export {
  type OutboxEvent,
  type Sequenced,
  type SequencerCrashPoint,
  outboxEvents,
  sequenceEvents,
  sequenceRows,
} from './sequenceEvents.js';
export { EventSequencer, type EventSequencerOptions } from './EventSequencer.js';
export { checkEventTypes, wants } from './subscriptions.js';
