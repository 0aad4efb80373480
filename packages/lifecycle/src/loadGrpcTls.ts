import { type GrpcTlsFiles, grpcTlsFiles } from '@wallet/config';
import type { Logger } from '@wallet/logger';
import { GrpcTls } from '@wallet/rpc';

/**
 * A process's gRPC mTLS from its configuration (GRPC_TLS_CA_FILE, GRPC_TLS_CERT_FILE, GRPC_TLS_KEY_FILE), read and
 * checked now, and logged: `grpc mtls` with the certificate's service and expiry, or a warning that gRPC is plaintext.
 * @param config a loaded configuration with the common variables
 * @param service what this process is: its certificate must name `<service>.wallet.internal`
 * @returns undefined for plaintext (allowed outside prod only; the config loader refuses it in prod)
 * @throws WalletError CONFIG_INVALID when the set is partial, missing in prod, or a file is wrong (see GrpcTls.fromFiles)
 */
export function loadGrpcTls(config: Parameters<typeof grpcTlsFiles>[0], service: string, log: Logger): GrpcTls | undefined {
  const files: GrpcTlsFiles | undefined = grpcTlsFiles(config);
  if (files === undefined) {
    log.warn('grpc is plaintext: set GRPC_TLS_CA_FILE, GRPC_TLS_CERT_FILE, GRPC_TLS_KEY_FILE for mTLS');
    return undefined;
  }
  const tls = GrpcTls.fromFiles(files, service);
  log.info({ service: tls.service, certificateExpires: tls.notAfter.toISOString() }, 'grpc mtls');
  return tls;
}
