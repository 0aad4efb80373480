export { type Logger, createLogger } from './createLogger.js';
export { currentRequestId, requestIdPattern, runWithRequestId } from './requestScope.js';
export { unbound } from './unbound.js';
