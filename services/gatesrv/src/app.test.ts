import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { AssetRegistry } from '@wallet/assets';
import { WalletError, errorRegistry } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type GatesrvDeps } from './app.js';
import { registry, routeDeps } from './routes/routeTestApp.js';
import { answersWithSecret } from './secretAnswers.js';

// The whole app with no upstream at all: what is tested here never reaches one (the document, the envelope of
// unsigned refusals, the probes' shape).
function app(assets = registry, overrides: Partial<GatesrvDeps> = {}) {
  const deps = {
    ...routeDeps({}, []),
    registry: assets,
    instanceId: 'gw-test',
    log: createLogger('gatesrv-test', { level: 'silent' }),
    bodyLimitBytes: 64 * 1024,
    peers: { health: async () => ({ accountsrv: [{ instanceId: 'a1', address: '10.0.0.1:1', status: 'SERVING' }], transrv: [] }) },
    authenticator: {
      authenticate: async () => {
        throw new WalletError('UNAUTHENTICATED', 'request authentication failed', { details: { reason: 'invalid_credentials' } });
      },
    },
    rateLimiter: {},
    idempotency: {},
    ...overrides,
  } as unknown as GatesrvDeps;
  const built = buildApp(deps);
  const routes: { method: string; url: string }[] = [];
  built.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url });
  });
  return { app: built, routes };
}

describe('the OpenAPI document', () => {
  const { app: server, routes } = app();
  afterAll(() => server.close());

  it('is served unsigned at /v1/openapi.json and is valid OpenAPI 3.1', async () => {
    const r = await server.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json<{ openapi: string }>();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists in secretAnswers.ts exactly the routes whose success answer has a secret (never kept in Redis)', async () => {
    type Schema = { $ref?: string; properties?: Record<string, unknown>; allOf?: Schema[] };
    type Operation = { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> };
    const doc = (await server.inject({ method: 'GET', url: '/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    }>();
    const resolve = (schema: Schema | undefined): Schema | undefined =>
      schema?.$ref === undefined ? schema : resolve(doc.components.schemas[schema.$ref.split('/').pop()!]);
    const hasSecret = (schema: Schema | undefined): boolean => {
      const s = resolve(schema);
      return s !== undefined && (Object.hasOwn(s.properties ?? {}, 'secret') || (s.allOf ?? []).some(hasSecret));
    };
    const all = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([m, op]) => ({ route: `${m.toUpperCase()} ${path}`, op })),
    );
    const withSecret = all
      .filter(({ op }) =>
        Object.entries(op.responses ?? {}).some(
          ([status, r]) => status.startsWith('2') && Object.values(r.content ?? {}).some((c) => hasSecret(c.schema)),
        ),
      )
      .map(({ route }) => route);
    expect(withSecret.sort()).toEqual(['POST /v1/webhooks', 'POST /v1/webhooks/{id}/rotate-secret']);
    const listed = all.map(({ route }) => route).filter((route) => answersWithSecret(route.split(' ')[0]!, route.split(' ')[1]!));
    expect(listed.sort()).toEqual(withSecret.sort());
  });

  it('has every route the server serves, and nothing it does not', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const served = routes.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`).sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(served.length).toBeGreaterThan(10);
    expect(documented).toEqual(served);
  });

  it('describes each object with the fields docs/api.md lists for it (Objects section), no more, no fewer', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/v1/openapi.json' })).json<{
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>();
    const apiMd = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    // **Name**: `{field, field, optional?}` (a list may wrap over lines)
    const objects = [...apiMd.matchAll(/^\*\*(\w+)\*\*: `\{([^}]*)\}`/gm)].map(([, name, fields]) => ({
      name: name!,
      fields: fields!
        .split(',')
        .map((f) => f.trim().replace(/\?$/, ''))
        .sort(),
    }));
    // The OpenAPI ids of the documented objects where they differ.
    const ids: Record<string, string> = { LedgerLine: 'LedgerEntry' };
    expect(objects.map((o) => o.name)).toContain('Withdrawal');
    for (const { name, fields } of objects) {
      const schema = doc.components.schemas[ids[name] ?? name];
      expect(Object.keys(schema?.properties ?? {}).sort(), name).toEqual(fields);
    }
  });

  it('has each value list of docs/api.md (Value lists) as an enum with the same values, and no enum without its table', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/v1/openapi.json' })).json<{
      components: { schemas: Record<string, { enum?: string[] }> };
    }>();
    const apiMd = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    const valueLists = apiMd.slice(apiMd.indexOf('\n## Value lists'), apiMd.indexOf('\n## ', apiMd.indexOf('\n## Value lists') + 1));
    // Each table of the section by its "### heading" and its first column's header; its values: that column's `code`.
    const tables = new Map<string, string[]>();
    for (const section of valueLists.split(/^### /m).slice(1)) {
      const heading = section.slice(0, section.indexOf('\n'));
      for (const table of section.match(/^\|.*\|\n\| --- .*\n(?:\|.*\n?)*/gm) ?? []) {
        const [header, , ...rows] = table.trim().split('\n');
        const column = header!.split('|')[1]!.trim();
        const values = rows.map((r) => /^\|\s*`([^`]+)`\s*\|/.exec(r)?.[1]).filter((v): v is string => v !== undefined);
        tables.set(`${heading} / ${column}`, values);
      }
    }
    // The OpenAPI enum of each value list, and the table that documents it.
    const documentedBy: Record<string, string> = {
      Chain: 'Chains / chain',
      ChainKind: 'Chain kinds / chainKind',
      Network: 'Networks / network',
      DepositStatus: 'Deposit statuses / status',
      WithdrawalStatus: 'Withdrawal statuses / status',
      TransferStatus: 'Transfer statuses / status',
      PaymentRequestStatus: 'Payment request statuses / status',
      RedPacketStatus: 'Red packet statuses / status',
      RedPacketMode: 'Red packet statuses / mode',
      LedgerBucket: 'Ledger buckets and kinds / bucket',
      LedgerKind: 'Ledger buckets and kinds / kind',
      EventType: 'Event types / type',
    };
    const enums = Object.entries(doc.components.schemas).filter(([, schema]) => Array.isArray(schema.enum));
    expect(enums.map(([id]) => id).sort()).toEqual(Object.keys(documentedBy).sort());
    expect([...tables.keys()].sort()).toEqual(Object.values(documentedBy).sort());
    for (const [id, schema] of enums) {
      const table = tables.get(documentedBy[id]!);
      expect(table?.length, documentedBy[id]).toBeGreaterThan(1);
      expect([...schema.enum!].sort(), id).toEqual([...table!].sort());
    }
  });

  it('lists the chains of the registry it was built with as the Chain enum, and refers every chain field to it', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/v1/openapi.json' })).json<{
      components: { schemas: Record<string, { enum?: string[]; properties?: Record<string, { $ref?: string }> }> };
    }>();
    expect(doc.components.schemas['Chain']?.enum).toEqual([...registry.chains.keys()]);
    for (const object of ['Asset', 'Address', 'Deposit', 'Withdrawal']) {
      expect(doc.components.schemas[object]?.properties?.['chain'], object).toEqual({ $ref: '#/components/schemas/Chain' });
    }
    const otherRegistry = AssetRegistry.parse({
      chains: [{ id: 'devnet', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: 31338, nativeAsset: 'DEV' }],
      assets: [{ id: 'DEV', chain: 'devnet', decimals: 18, confirmations: 2, minWithdrawal: '1', withdrawalFee: '0' }],
    });
    const other = app(otherRegistry).app;
    const otherDoc = (await other.inject({ method: 'GET', url: '/v1/openapi.json' })).json<{
      components: { schemas: Record<string, { enum?: string[] }> };
    }>();
    expect(otherDoc.components.schemas['Chain']?.enum).toEqual(['devnet']);
    await other.close();
  });

  it('names only registered error codes, each with its registry status', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { 'x-error-codes': string[]; responses: Record<string, unknown> }>>;
    }>();
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const code of op['x-error-codes']) {
          expect(Object.keys(errorRegistry)).toContain(code);
          expect(Object.keys(op.responses)).toContain(String(errorRegistry[code as keyof typeof errorRegistry].http));
        }
      }
    }
  });
});

describe('the edge of the whole gateway', () => {
  const { app: server } = app();
  afterAll(() => server.close());

  it('public /healthz shows status only', async () => {
    const r = await server.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ status: 'unavailable' });
    expect(r.body).not.toContain('10.0.0.1');
  });

  it('public /healthz answers 503 at once when the gateway is shutting down, though everything behind it serves', async () => {
    const serving = [{ instanceId: 'x', address: '10.0.0.1:1', status: 'SERVING' }];
    let ready = true;
    let probes = 0;
    const peers = {
      health: async () => {
        probes++;
        return { accountsrv: serving, transrv: serving };
      },
    } as unknown as GatesrvDeps['peers'];
    const { app: gateway } = app(registry, { peers, ready: () => ready });
    try {
      expect((await gateway.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      ready = false;
      const r = await gateway.inject({ method: 'GET', url: '/healthz' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ status: 'unavailable' });
      expect(probes).toBe(1); // no upstream call once shutting down
    } finally {
      await gateway.close();
    }
  });

  it('/v1/health is signed', async () => {
    const r = await server.inject({ method: 'GET', url: '/v1/health' });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it.each([
    ['an unknown route', { method: 'GET' as const, url: '/v1/nothing/here' }, 404, 'NOT_FOUND'],
    ['an unsigned request', { method: 'GET' as const, url: '/v1/assets' }, 401, 'UNAUTHENTICATED'],
    ['an over-long target', { method: 'GET' as const, url: `/v1/accounts/${'a'.repeat(3000)}` }, 414, 'URI_TOO_LONG'],
    ['a bad URL component', { method: 'GET' as const, url: '/v1/accounts/%zz' }, 400, 'VALIDATION_FAILED'],
  ])('answers %s with the envelope, nosniff and no-store', async (_what, req, status, code) => {
    const r = await server.inject(req);
    expect(r.statusCode).toBe(status);
    expect(r.json()).toMatchObject({ error: { code, message: expect.any(String), details: expect.any(Object) } });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).not.toContain('aaaa');
    expect(r.body).not.toContain('%zz');
  });
});
