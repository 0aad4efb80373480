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
  endpointSecretContext,
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
export { type RequestKey, type StoredAnswer, requestOnce, requestSecretContext } from './requestOnce.js';
export { prepareWebhookSecrets, webhookSecretColumns } from './prepareWebhookSecrets.js';
