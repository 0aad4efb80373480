export {
  ApiDocument,
  type ApiDocumentOptions,
  ErrorEnvelope,
  type ResponseSpec,
  type RouteHandler,
  type RouteInput,
  type RouteSpec,
} from './ApiDocument.js';
export { bearerAuth, bearerToken } from './bearerAuth.js';
export { type EdgeAppOptions, createEdgeApp } from './createEdgeApp.js';
export { findDuplicateKey } from './findDuplicateKey.js';
export { type InputPart, type ValidationIssue, parseInput, validationFailed } from './parseInput.js';
export { readJsonBody } from './readJsonBody.js';
export { securityHeaders } from './securityHeaders.js';
export { toEdgeError } from './toEdgeError.js';
