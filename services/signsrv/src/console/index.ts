export { type ConsoleDeps } from './ConsoleDeps.js';
export { consoleRoutes } from './consoleRoutes.js';
export { createConsoleDeps } from './createConsoleDeps.js';
