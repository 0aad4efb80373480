import { isWalletError } from '@wallet/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonRpcClient } from './JsonRpcClient.js';
import { type FakeNode, freePort, startFakeNode } from '@wallet/testkit';

const Num = z.number();
let node: FakeNode | undefined;
let client: JsonRpcClient | undefined;

afterEach(async () => {
  await client?.close();
  await node?.close();
  client = undefined;
  node = undefined;
});

async function connect(options: Parameters<typeof startFakeNode>[0], timeoutMs?: number): Promise<JsonRpcClient> {
  node = await startFakeNode(options);
  client = new JsonRpcClient({ url: node.url, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  return client;
}

/** The WalletError code `promise` rejects with (fails the test if it resolves or throws something else). */
async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  if (!isWalletError(error)) throw error;
  return error.code;
}

describe('JsonRpcClient', () => {
  it('matches batch answers to calls by id, whatever their order', async () => {
    const rpc = await connect({
      rawBody: (body) => {
        const calls = JSON.parse(body) as { id: number; params: [number] }[];
        return { status: 200, body: JSON.stringify(calls.map((c) => ({ jsonrpc: '2.0', id: c.id, result: c.params[0] * 10 })).reverse()) };
      },
    });
    const results = await rpc.batch([1, 2, 3].map((n) => ({ method: 'x', params: [n], schema: Num })));
    expect(results).toEqual([
      { ok: true, value: 10 },
      { ok: true, value: 20 },
      { ok: true, value: 30 },
    ]);
  });

  it('returns a JSON-RPC error answer as an outcome, and call() throws it as UNAVAILABLE', async () => {
    const rpc = await connect({ answer: () => ({ error: { code: -32000, message: 'header not found' } }) });
    const [outcome] = await rpc.batch([{ method: 'eth_x', params: [], schema: Num }] as const);
    expect(outcome).toMatchObject({ ok: false, rpcCode: -32000, rpcMessage: 'header not found' });
    expect(await rejectionCode(rpc.call('eth_x', [], Num))).toBe('UNAVAILABLE');
  });

  it('keeps an error answer’s data when it is hex bytes (revert data), and drops any other', async () => {
    let data: unknown = '0x8AC5FF0B';
    const rpc = await connect({ answer: () => ({ error: { code: 3, message: 'execution reverted', data } }) });
    const [reverted] = await rpc.batch([{ method: 'eth_call', params: [], schema: Num }] as const);
    expect(reverted).toMatchObject({ ok: false, rpcCode: 3, rpcData: '0x8ac5ff0b' });
    for (data of [{ message: 'x' }, '0x123', `0x${'00'.repeat(1025)}`, undefined]) {
      const [outcome] = await rpc.batch([{ method: 'eth_call', params: [], schema: Num }] as const);
      expect(outcome).not.toHaveProperty('rpcData');
    }
  });

  it('turns a result that fails its schema into INTERNAL naming the method', async () => {
    const rpc = await connect({ answer: () => ({ result: 'not a number' }) });
    const error: unknown = await rpc.call('eth_blockNumber', [], Num).catch((e: unknown) => e);
    expect(isWalletError(error, 'INTERNAL')).toBe(true);
    expect((error as { details: { method: string } }).details.method).toBe('eth_blockNumber');
  });

  it('turns a body that is not JSON, a missing answer or a malformed envelope into INTERNAL', async () => {
    let body = 'garbage';
    const rpc = await connect({ rawBody: () => ({ status: 200, body }) });
    expect(await rejectionCode(rpc.call('eth_x', [], Num))).toBe('INTERNAL');
    body = '[]';
    expect(await rejectionCode(rpc.call('eth_x', [], Num))).toBe('INTERNAL');
    body = '[{"jsonrpc":"2.0","id":"one","result":1}]';
    expect(await rejectionCode(rpc.call('eth_x', [], Num))).toBe('INTERNAL');
    body = '{"jsonrpc":"2.0","id":1,"result":1}';
    expect(await rejectionCode(rpc.call('eth_x', [], Num))).toBe('INTERNAL');
  });

  it('turns a refused batch (one error object) and an HTTP error status into UNAVAILABLE', async () => {
    let answer = { status: 200, body: '{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"batch too large"}}' };
    const rpc = await connect({ rawBody: () => answer });
    expect(await rejectionCode(rpc.call('eth_x', [], Num))).toBe('UNAVAILABLE');
    answer = { status: 503, body: 'overloaded' };
    expect(await rejectionCode(rpc.call('eth_x', [], Num))).toBe('UNAVAILABLE');
  });

  it('turns an unreachable node into UNAVAILABLE', async () => {
    client = new JsonRpcClient({ url: `http://127.0.0.1:${await freePort()}` });
    expect(await rejectionCode(client.call('eth_chainId', [], Num))).toBe('UNAVAILABLE');
  });

  it('turns a node that does not answer in time into TIMEOUT', async () => {
    const rpc = await connect({ answer: () => new Promise((resolve) => setTimeout(() => resolve({ result: 1 }), 1_000)) }, 200);
    expect(await rejectionCode(rpc.call('eth_x', [], Num))).toBe('TIMEOUT');
  });

  it('sends user:password of the URL as basic authentication', async () => {
    node = await startFakeNode({ answer: () => ({ result: 1 }) });
    client = new JsonRpcClient({ url: node.url.replace('http://', 'http://wallet:s%3Acret@') });
    await client.call('x', [], Num);
    expect(node.headers[0]?.authorization).toBe(`Basic ${Buffer.from('wallet:s:cret').toString('base64')}`);
  });

  describe('callHex: a long hex result read from the answer bytes', () => {
    const single = (reply: (call: { id: number }) => string) =>
      connect({ rawBody: (body) => ({ status: 200, body: reply(JSON.parse(body) as { id: number }) }) });

    it("decodes Bitcoin Core's layout, and any other layout of the same answer alike", async () => {
      const rpc = await single((c) => `{"result":"00ff10ab","error":null,"id":${c.id}}\n`);
      expect(await rpc.callHex('getblock', ['h', 0])).toEqual(Buffer.from([0x00, 0xff, 0x10, 0xab]));
      await rpc.close();
      const other = await single((c) => JSON.stringify({ jsonrpc: '2.0', id: c.id, result: 'beef' }));
      expect(await other.callHex('getblock', ['h', 0])).toEqual(Buffer.from([0xbe, 0xef]));
    });

    it('refuses a result that is not even-length hex, an answer to another id, and throws node errors as call() does', async () => {
      for (const result of ['abc', 'zz00', '00 1']) {
        const rpc = await single((c) => `{"result":"${result}","error":null,"id":${c.id}}`);
        expect(await rejectionCode(rpc.callHex('getblock', []))).toBe('INTERNAL');
        await rpc.close();
        await node?.close();
      }
      const wrongId = await single((c) => `{"result":"00","error":null,"id":${c.id + 1}}`);
      expect(await rejectionCode(wrongId.callHex('getblock', []))).toBe('INTERNAL');
      await wrongId.close();
      await node?.close();
      const notString = await single((c) => `{"result":5,"error":null,"id":${c.id}}`);
      expect(await rejectionCode(notString.callHex('getblock', []))).toBe('INTERNAL');
      await notString.close();
      await node?.close();
      const refused = await single((c) => `{"result":null,"error":{"code":-5,"message":"Block not found"},"id":${c.id}}`);
      const error: unknown = await refused.callHex('getblock', []).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'UNAVAILABLE', details: { method: 'getblock', rpcCode: -5, rpcMessage: 'Block not found' } });
    });
  });
});
