import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, grpcTlsFiles, hostPort, intString, loadEnvConfig } from './index.js';

const schema = z.object({
  ...commonEnv,
  GATESRV_HTTP_ADDR: hostPort.default('127.0.0.1:8080'),
  GATESRV_BODY_LIMIT: intString(1, 1_000_000).default(65536),
  GATESRV_SECRET: z.string().min(8).optional(),
});

function fail(env: Record<string, string>): { message: string; variables: unknown } {
  try {
    loadEnvConfig(schema, env, ['GATESRV_']);
  } catch (error) {
    if (isWalletError(error, 'CONFIG_INVALID')) return { message: error.message, variables: error.details['variables'] };
    throw error;
  }
  throw new Error('expected loadEnvConfig to throw');
}

describe('loadEnvConfig', () => {
  it('applies local-stack defaults and freezes the result', () => {
    const config = loadEnvConfig(schema, { PATH: '/bin', HOME: '/root' }, ['GATESRV_']);
    expect(config.GATESRV_HTTP_ADDR).toBe('127.0.0.1:8080');
    expect(config.ETCD_ENDPOINTS).toEqual(['http://127.0.0.1:2379']);
    expect(config.DISCOVERY_TTL_SECONDS).toBe(10);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses given values', () => {
    const config = loadEnvConfig(
      schema,
      { GATESRV_HTTP_ADDR: '0.0.0.0:9000', ETCD_ENDPOINTS: 'http://a:2379, http://b:2379', GATESRV_BODY_LIMIT: '1024' },
      ['GATESRV_'],
    );
    expect(config.GATESRV_HTTP_ADDR).toBe('0.0.0.0:9000');
    expect(config.ETCD_ENDPOINTS).toEqual(['http://a:2379', 'http://b:2379']);
    expect(config.GATESRV_BODY_LIMIT).toBe(1024);
  });

  it.each([
    ['GATESRV_HTTP_ADDR', 'localhost'],
    ['GATESRV_HTTP_ADDR', '127.0.0.1:70000'],
    ['GATESRV_BODY_LIMIT', '-5'],
    ['GATESRV_BODY_LIMIT', '12kb'],
    ['MYSQL_URL', 'postgres://x'],
    ['REDIS_URL', 'not a url'],
    ['ETCD_ENDPOINTS', 'ftp://x'],
    ['WALLET_ENV', 'Has Spaces'],
    ['LOG_LEVEL', 'verbose'],
    ['DISCOVERY_TTL_SECONDS', '1'],
  ])('a bad %s=%s fails naming the variable', (name, value) => {
    const { message, variables } = fail({ [name]: value });
    expect(message).toContain(name);
    expect(variables).toEqual([name]);
  });

  it('rejects an unknown variable with an owned prefix (a typo never falls back to a default)', () => {
    const { message, variables } = fail({ GATESRV_HTTP_ADR: '127.0.0.1:1' });
    expect(message).toContain('GATESRV_HTTP_ADR');
    expect(variables).toEqual(['GATESRV_HTTP_ADR']);
  });

  it.each([
    ['MYSQL_URL', 'mysqlx://root:hunter2@db.internal/wallet', 'mysqlx://***@db.internal/…'],
    ['REDIS_URL', 'http://:hunter2@cache:6379', 'http://***@cache:6379'],
    ['ETCD_ENDPOINTS', 'ftp://etcd.example/v3/hunter2', 'ftp://etcd.example/…'],
  ])('shows a bad %s without its credentials or path', (name, value, shown) => {
    const { message } = fail({ [name]: value });
    expect(message).toContain(shown);
    expect(message).not.toContain('hunter2');
  });

  it('cuts a long bad value', () => {
    const { message } = fail({ GATESRV_HTTP_ADDR: 'h'.repeat(200) });
    expect(message).toContain(`${'h'.repeat(80)}…`);
    expect(message).not.toContain('h'.repeat(81));
  });

  it('never echoes a secret value in the message', () => {
    const { message } = fail({ GATESRV_SECRET: 'short' });
    expect(message).toContain('GATESRV_SECRET');
    expect(message).not.toContain('short"');
  });

  describe('gRPC mTLS variables', () => {
    const tls = { GRPC_TLS_CA_FILE: '/pki/ca.pem', GRPC_TLS_CERT_FILE: '/pki/svc.pem', GRPC_TLS_KEY_FILE: '/pki/svc-key.pem' };

    it('all three give the files; none is plaintext outside prod', () => {
      expect(grpcTlsFiles(loadEnvConfig(schema, tls, ['GATESRV_']))).toEqual({
        caFile: '/pki/ca.pem',
        certFile: '/pki/svc.pem',
        keyFile: '/pki/svc-key.pem',
      });
      expect(grpcTlsFiles(loadEnvConfig(schema, { WALLET_ENV: 'staging' }, ['GATESRV_']))).toBeUndefined();
      // An empty variable is unset, as elsewhere: three empty ones are plaintext, not a partial set.
      expect(grpcTlsFiles(loadEnvConfig(schema, { GRPC_TLS_CA_FILE: '', GRPC_TLS_CERT_FILE: '', GRPC_TLS_KEY_FILE: '' }))).toBeUndefined();
    });

    it('a partial set is refused, naming what is missing', () => {
      expect(fail({ ...tls, GRPC_TLS_KEY_FILE: '' }).variables).toEqual(['GRPC_TLS_KEY_FILE']);
      expect(fail({ GRPC_TLS_CERT_FILE: tls.GRPC_TLS_CERT_FILE, GRPC_TLS_KEY_FILE: tls.GRPC_TLS_KEY_FILE }).variables).toEqual([
        'GRPC_TLS_CA_FILE',
      ]);
      expect(fail({ GRPC_TLS_CERT_FILE: '/pki/svc.pem' }).variables).toEqual(['GRPC_TLS_CA_FILE', 'GRPC_TLS_KEY_FILE']);
      // Also in prod: the partial set is what is reported.
      expect(fail({ WALLET_ENV: 'prod', GRPC_TLS_CA_FILE: '/pki/ca.pem' }).variables).toEqual(['GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE']);
    });

    it('prod refuses plaintext gRPC and accepts mTLS', () => {
      const refused = fail({ WALLET_ENV: 'prod' });
      expect(refused.variables).toEqual(['GRPC_TLS_CA_FILE', 'GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE']);
      expect(grpcTlsFiles(loadEnvConfig(schema, { WALLET_ENV: 'prod', ...tls }))?.certFile).toBe('/pki/svc.pem');
    });
  });
});
