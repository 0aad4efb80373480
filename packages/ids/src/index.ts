export { decodeCursor, encodeCursor, pageLimit } from './cursor.js';
export { newId } from './newId.js';
export { ExternalId, IdempotencyKey, ObjectId } from './schemas.js';
