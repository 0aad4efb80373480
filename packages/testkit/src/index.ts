// Test-only tooling. Production packages and services never import this package (a lint rule refuses it outside
// tests and benchmarks); it is what tests share: private chains, fake nodes, fresh databases, Redis prefixes.
export { type AnvilProcess, devRpc, startAnvil } from './startAnvil.js';
export { DevChain, type DevReceipt, type DevTransaction, randomAddress } from './DevChain.js';
export { type FakeAnswer, type FakeCall, type FakeNode, startFakeNode } from './FakeNode.js';
export { deploymentCode, revertingRuntime, transferCalldata, transferEmitterRuntime } from './testContracts.js';
export { createTestDatabase } from './testDatabase.js';
export { type TestRedis, connectTestRedis, deleteByPrefix } from './testRedis.js';
export { configurationDoc, envReferenceSection } from './envReferenceDoc.js';
export { protoServiceMethods } from './protoServiceMethods.js';
export { freePort } from './freePort.js';
