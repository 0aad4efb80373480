export { Auditors } from './Auditors.js';
export { type OperatedAddresses, type PayoutChain, type PayoutLimits, Payouts, type PayoutsOptions, type ReviewView } from './Payouts.js';
export { ResponseRelay, type ResponseRelayOptions } from './ResponseRelay.js';
export { allocateNonce, allocateNonces, initNonceAllocator } from './allocateNonce.js';
export { type IngestOutcome, ingestRequests } from './ingestRequest.js';
export { integrityProblems } from './integrity.js';
export { queueResponse } from './queueResponse.js';
