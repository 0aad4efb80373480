import { WalletError, isWalletError } from '@wallet/errors';
import { Pool } from 'undici';
import { z } from 'zod';
import { decodeAsciiHex } from './hexBytes.js';

/** One call of a batch: the method, its params, and the schema its result must match. */
export type RpcCall<T> = { readonly method: string; readonly params: readonly unknown[]; readonly schema: z.ZodType<T> };

/** A call's outcome: its validated result, or the JSON-RPC error the node answered with. */
export type RpcOutcome<T> = { ok: true; value: T } | RpcFailure;

/**
 * A JSON-RPC error answer: `error` is the WalletError (UNAVAILABLE) to throw when the caller has no use for it.
 * `rpcData` is the error's `data` when it is hex bytes (EVM: the revert data of a failed call), else absent.
 */
export type RpcFailure = { ok: false; error: WalletError; rpcCode: number; rpcMessage: string; rpcData?: string };

type Results<C extends readonly RpcCall<unknown>[]> = { -readonly [K in keyof C]: C[K] extends RpcCall<infer T> ? RpcOutcome<T> : never };

/** Options of {@link JsonRpcClient}. */
export type JsonRpcClientOptions = {
  /** http(s) URL; user:password in it becomes basic authentication. */
  url: string;
  /** Longest wait for the response headers, and for each chunk of the body. @default 10_000 */
  timeoutMs?: number;
  /** Keep-alive connections to the node. @default 4 */
  connections?: number;
  /** Largest response body accepted, so a node cannot exhaust memory. @default 256 MiB */
  maxResponseBytes?: number;
};

const ErrorObject = z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() });
// Revert data is as long as the contract makes it; more than this is not worth carrying in an error's details.
const RevertData = z.string().regex(/^0x(?:[0-9a-fA-F]{2}){0,1024}$/);
// Bitcoin Core answers `"error": null` beside a result; EVM nodes leave `error` out.
const Envelope = z.object({ id: z.number().int(), result: z.unknown().optional(), error: ErrorObject.nullish() });
const BatchRefused = z.object({ error: ErrorObject });
type Envelope = z.output<typeof Envelope>;

// A connection the node closed while idle can fail the request written to it at that moment. Such a request never
// reached the node, so it is sent once more; a timeout is not retried (the node may have acted on it).
const retriedOnce = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
const timeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * JSON-RPC 2.0 over HTTP with keep-alive connections (undici's Pool) and batching. The node is untrusted: every
 * result is checked against the call's schema, and anything that is not a valid answer becomes a WalletError:
 * UNAVAILABLE (unreachable, HTTP error status), TIMEOUT, or INTERNAL (malformed response), each naming the method.
 */
export class JsonRpcClient {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private nextId = 1;

  /** @param options see {@link JsonRpcClientOptions} */
  constructor(options: JsonRpcClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new WalletError('CONFIG_INVALID', `node URL must be http(s), not ${url.protocol}`);
    }
    const timeout = options.timeoutMs ?? 10_000;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 4,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connectTimeout: timeout,
      maxResponseSize: options.maxResponseBytes ?? 256 * 1024 * 1024,
    });
    this.path = `${url.pathname}${url.search}`;
    this.headers = { 'content-type': 'application/json' };
    if (url.username !== '') {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
  }

  /**
   * One call.
   * @returns the validated result
   * @throws WalletError UNAVAILABLE (also for a JSON-RPC error answer, with `details.rpcCode`), TIMEOUT, INTERNAL
   */
  async call<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T> {
    const [outcome] = await this.batch([{ method, params, schema }] as const);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Calls in one HTTP request (a JSON-RPC batch); the node may answer them in any order.
   * @returns one outcome per call, in call order: a JSON-RPC error answer is an outcome, not a throw
   * @throws WalletError UNAVAILABLE, TIMEOUT, INTERNAL (a malformed envelope or result)
   */
  async batch<const C extends readonly RpcCall<unknown>[]>(calls: C): Promise<Results<C>> {
    const methods = [...new Set(calls.map((c) => c.method))].join(',');
    const firstId = this.nextId;
    this.nextId += calls.length;
    const body = JSON.stringify(calls.map((c, i) => ({ jsonrpc: '2.0', id: firstId + i, method: c.method, params: c.params })));
    const text = (await this.post(body, methods)).toString('utf8');

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new WalletError('INTERNAL', `${methods}: node answered with invalid JSON`, { details: { method: methods }, cause: error });
    }
    // A node that refuses the whole batch (too large, rate limited) answers one error object instead of an array.
    if (!Array.isArray(parsed)) {
      const refused = BatchRefused.safeParse(parsed);
      if (refused.success) throw rpcError(methods, refused.data.error).error;
      throw malformed(methods, 'batch answer is not an array');
    }
    const byId = new Map<number, Envelope>();
    for (const item of parsed) {
      const envelope = Envelope.safeParse(item);
      if (!envelope.success) throw malformed(methods, 'malformed JSON-RPC envelope', envelope.error);
      byId.set(envelope.data.id, envelope.data);
    }
    return calls.map((c, i) => {
      const envelope = byId.get(firstId + i);
      if (envelope === undefined) throw malformed(c.method, 'no answer to the call');
      if (envelope.error !== undefined && envelope.error !== null) return rpcError(c.method, envelope.error);
      const result = c.schema.safeParse(envelope.result);
      if (!result.success) throw malformed(c.method, 'malformed result', result.error);
      return { ok: true, value: result.data };
    }) as Results<C>;
  }

  /** Closes the connections; pending requests finish first. */
  /**
   * One call whose result is a long hex string (Bitcoin Core's `getblock <hash> 0`, `getrawtransaction`), decoded
   * straight from the answer's bytes: Bitcoin Core writes `{"result":"<hex>","error":null,"id":<id>}`, which is
   * recognised without building and parsing a JSON text several times the block's size. Any other answer (an
   * error, another layout) goes through the general path, with the same errors as {@link call}.
   * @returns the decoded bytes
   * @throws WalletError as {@link call}; INTERNAL when the result is not an even-length hex string
   */
  async callHex(method: string, params: readonly unknown[]): Promise<Buffer> {
    const id = this.nextId++;
    const answer = await this.post(JSON.stringify({ jsonrpc: '2.0', id, method, params }), method);
    const fast = hexResult(answer, id);
    if (fast !== null) return fast;
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.toString('utf8'));
    } catch (error) {
      throw new WalletError('INTERNAL', `${method}: node answered with invalid JSON`, { details: { method }, cause: error });
    }
    const envelope = Envelope.safeParse(parsed);
    if (!envelope.success) throw malformed(method, 'malformed JSON-RPC envelope', envelope.error);
    if (envelope.data.id !== id) throw malformed(method, 'no answer to the call');
    if (envelope.data.error !== undefined && envelope.data.error !== null) throw rpcError(method, envelope.data.error).error;
    const hex = envelope.data.result;
    const bytes = typeof hex === 'string' ? Buffer.from(hex, 'hex') : null;
    if (bytes === null || bytes.length * 2 !== (hex as string).length) throw malformed(method, 'malformed result: not hex bytes');
    return bytes;
  }

  async close(): Promise<void> {
    if (!this.pool.closed && !this.pool.destroyed) await this.pool.close();
  }

  private async post(body: string, methods: string, attempt = 1): Promise<Buffer> {
    try {
      const response = await this.pool.request({ path: this.path, method: 'POST', headers: this.headers, body });
      const text = Buffer.from(await response.body.arrayBuffer());
      if (response.statusCode !== 200) {
        throw new WalletError('UNAVAILABLE', `${methods}: node answered HTTP ${response.statusCode}`, {
          details: { method: methods, httpStatus: response.statusCode },
        });
      }
      return text;
    } catch (error) {
      if (isWalletError(error)) throw error;
      const code = errorCode(error);
      if (attempt === 1 && retriedOnce.has(code)) return this.post(body, methods, 2);
      if (timeouts.has(code)) {
        throw new WalletError('TIMEOUT', `${methods}: node did not answer in time`, { details: { method: methods }, cause: error });
      }
      if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') throw malformed(methods, 'response too large');
      throw new WalletError('UNAVAILABLE', `${methods}: node unreachable`, { details: { method: methods, reason: code }, cause: error });
    }
  }
}

const HEX_PREFIX = Buffer.from('{"result":"');
const QUOTE = 0x22;

/**
 * The hex result of Bitcoin Core's answer layout, `{"result":"<hex>","error":null,"id":<id>}` (and a newline), decoded;
 * null for anything else (left to the general path).
 */
function hexResult(answer: Buffer, id: number): Buffer | null {
  if (answer.length < HEX_PREFIX.length || !answer.subarray(0, HEX_PREFIX.length).equals(HEX_PREFIX)) return null;
  const start = HEX_PREFIX.length;
  const end = answer.indexOf(QUOTE, start);
  if (end < 0 || (end - start) % 2 !== 0) return null;
  const tail = answer.toString('latin1', end, Math.min(answer.length, end + 64)).trimEnd();
  if (tail !== `","error":null,"id":${id}}`) return null;
  return decodeAsciiHex(answer, start, end);
}

function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UNKNOWN';
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return cause === undefined ? 'UNKNOWN' : errorCode(cause);
}

function malformed(method: string, problem: string, cause?: z.ZodError): WalletError {
  const issue = cause?.issues[0];
  const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
  return new WalletError('INTERNAL', `${method}: ${problem}${where}`, {
    details: { method },
    ...(cause === undefined ? {} : { cause }),
  });
}

function rpcError(method: string, error: { code: number; message: string; data?: unknown }): RpcFailure {
  const rpcMessage = error.message.slice(0, 500);
  const data = RevertData.safeParse(error.data);
  return {
    ok: false,
    rpcCode: error.code,
    rpcMessage,
    ...(data.success ? { rpcData: data.data.toLowerCase() } : {}),
    error: new WalletError('UNAVAILABLE', `${method}: node answered error ${error.code}`, {
      details: { method, rpcCode: error.code, rpcMessage },
    }),
  };
}
