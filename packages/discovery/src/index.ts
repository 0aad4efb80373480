export { Discovery, type DiscoveryOptions, type RegisterOptions, type Registration, ServiceWatch } from './Discovery.js';
export { type Instance, InstanceSchema, ServiceName, servicePrefix } from './instance.js';
