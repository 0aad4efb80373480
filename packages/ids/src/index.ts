export { decodeCursor, encodeCursor, pageLimit } from './cursor.js';
export { newId } from './newId.js';
export { ExternalId, IdempotencyKey, NodeId, ObjectId, PageLimitQuery, PageRequest } from './schemas.js';
