export { decodeCursor, encodeCursor, pageLimit } from './cursor.js';
export { newId } from './newId.js';
