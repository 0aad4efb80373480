export { type Logger, createLogger } from './createLogger.js';
export { currentRequestId, requestIdPattern, runWithRequestId } from './requestScope.js';
