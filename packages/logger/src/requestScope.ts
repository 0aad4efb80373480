import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request id of the work in progress, carried through every await of a request's handling: gatesrv enters it for
 * each HTTP request and every gRPC server enters the id its caller sent, so each log line written meanwhile (through a
 * logger of {@link createLogger}, by any code, however deep) and each gRPC call made meanwhile carry it without being
 * handed it. Work started inside a request (a promise chain, a timer) keeps the request's id: it was caused by it.
 */
const scope = new AsyncLocalStorage<string>();

/**
 * What a request id may be (docs/api.md, Traceability): 1-128 of `[A-Za-z0-9._:-]`. Anything else a client or a peer
 * sends is replaced, never logged or echoed: it is text from outside that ends up in log lines and headers.
 */
export const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Runs `fn` with `requestId` as the current request id (see {@link currentRequestId}).
 * @param requestId a well-formed id ({@link requestIdPattern})
 * @param fn the work of that request
 * @returns what `fn` returns
 */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return scope.run(requestId, fn);
}

/** The id of the request whose work is running, or undefined outside any request (start-up, background passes). */
export function currentRequestId(): string | undefined {
  return scope.getStore();
}
