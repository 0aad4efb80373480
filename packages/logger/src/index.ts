export { type Logger, createLogger } from './createLogger.js';
