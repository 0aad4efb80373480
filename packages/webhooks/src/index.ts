export { type Attempt, type WebhookRequest, deliverWebhook, isRetryableStatus } from './deliverWebhook.js';
export { type DestinationPolicy, checkWebhookUrl, isPublicAddress, safeLookup } from './destinationPolicy.js';
export {
  type CreateEndpointInput,
  type DeliveryView,
  MAX_ENDPOINTS,
  MAX_OVERLAP_SECONDS,
  MAX_REDELIVERY,
  type UpdateEndpointInput,
  type WebhookEndpoint,
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  queueTest,
  redeliver,
  rotateSecret,
  updateEndpoint,
} from './endpoints.js';
export { DEFAULT_RETRY_SCHEDULE_MS, WebhookDispatcher, type WebhookDispatcherOptions } from './WebhookDispatcher.js';
export { SIGNATURE_HEADER, signatureHeader, verifyWebhookSignature, webhookMac } from './webhookSignature.js';
export { type RequestKey, requestOnce } from './requestOnce.js';
