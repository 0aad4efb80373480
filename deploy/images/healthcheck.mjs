// The image's HEALTHCHECK: GET /healthz on the service's metrics port (the base image has no curl).
// Usage: node healthcheck.mjs <METRICS_ADDR variable> <default port>. The port is read from the same variable the
// service listens on, so a container started with another address is still checked where it listens.
/* global fetch, AbortSignal -- Node 20's own */
import process from 'node:process';

const [variable, fallbackPort] = process.argv.slice(2);
const addr = (variable && process.env[variable]) || `127.0.0.1:${fallbackPort}`;
const port = addr.slice(addr.lastIndexOf(':') + 1);
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
  process.exitCode = res.ok ? 0 : 1;
} catch {
  process.exitCode = 1;
}
