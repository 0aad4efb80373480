export { newInstanceId } from './instanceId.js';
export { type Stop, runMain } from './runMain.js';
export { type ServeOptions, serveAndRegister } from './serveAndRegister.js';
export { instanceInfo } from './instanceInfo.js';
export { type CrashPoint, crashPoints, noCrashPoints } from './crashPoint.js';
export { loadGrpcTls } from './loadGrpcTls.js';
export { type RedisClientOptions, createRedis } from './createRedis.js';
export { type UntilAvailableOptions, untilAvailable } from './untilAvailable.js';
