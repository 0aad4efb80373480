export { OutboxRelay, type OutboxRelayOptions, type OutboxRelayStats } from './OutboxRelay.js';
export { PeriodicTask, type PeriodicTaskOptions } from './PeriodicTask.js';
export { StreamConsumer, type StreamConsumerOptions, type StreamEntry } from './StreamConsumer.js';
export { type StreamGroupStats, streamGroupStats } from './streamGroupStats.js';
export { groupBySentCount } from './groupBySentCount.js';
export { resendDelayMs } from './resendDelayMs.js';
export { scheduleResends } from './scheduleResends.js';
export { type StreamOutbox, type StreamResendsOptions, streamResends } from './streamResends.js';
export { xaddAll } from './xaddAll.js';
