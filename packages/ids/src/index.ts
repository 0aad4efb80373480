export { decodeCursor, encodeCursor, pageLimit } from './cursor.js';
export { type ListPosition, ListOrder, decodeListCursor, encodeListCursor } from './listCursor.js';
export { newId } from './newId.js';
export {
  ClientMetadata,
  ClientReference,
  ExternalId,
  IdempotencyKey,
  METADATA_LIMITS,
  NodeId,
  ObjectId,
  PageLimitQuery,
  PageRequest,
  UtcTimestamp,
} from './schemas.js';
