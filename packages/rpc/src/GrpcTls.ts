import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ChannelCredentials, type ChannelOptions, ServerCredentials, credentials } from '@grpc/grpc-js';
import { WalletError } from '@wallet/errors';

/**
 * The domain of the services' certificate names: a service is `<service>.wallet.internal` in its certificate.
 *
 * Why fixed names rather than IP SANs: services register IP:port in etcd (port 0 binds, ADVERTISE_HOST), and addresses
 * change with every host or pod, while a certificate is issued once; with fixed names a certificate does not depend on
 * where the service runs. A client dialing a transrv address checks that the peer's certificate names
 * `transrv.wallet.internal` (`grpc.ssl_target_name_override`), so an accountsrv certificate cannot stand in for a
 * ledger node, and a server reads which service calls it from the client certificate ({@link CallContext.peer}).
 */
export const SERVICE_NAME_DOMAIN = 'wallet.internal';

/** The DNS name `service`'s certificate must carry, e.g. `transrv.wallet.internal`. */
export const serviceServerName = (service: string): string => `${service}.${SERVICE_NAME_DOMAIN}`;

/** What a client needs to dial one service over mTLS (see {@link GrpcTls.clientOf}). */
export type ClientTls = { readonly credentials: ChannelCredentials; readonly channelOptions: ChannelOptions; readonly service: string };

/** The PEM files of a process's gRPC mTLS material, as named by GRPC_TLS_CA_FILE, GRPC_TLS_CERT_FILE, GRPC_TLS_KEY_FILE. */
export type GrpcTlsFiles = { readonly caFile: string; readonly certFile: string; readonly keyFile: string };

const serviceNamePattern = new RegExp(`^DNS:([a-z][a-z0-9-]*)\\.${SERVICE_NAME_DOMAIN.replace('.', '\\.')}$`);

/**
 * One process's gRPC mTLS identity: the CA every peer's certificate must chain to, and its own certificate and key.
 * Servers built with it require a client certificate from the CA; clients present theirs and verify the server's name.
 * The files are read once, at start: new files take effect on restart (no hot reload, docs/operations-tls.md).
 */
export class GrpcTls {
  /** The service this process is, from its certificate's `DNS:<service>.wallet.internal` name. */
  readonly service: string;
  /** When this process's certificate expires. */
  readonly notAfter: Date;
  readonly #ca: Buffer;
  readonly #cert: Buffer;
  readonly #key: Buffer;

  private constructor(service: string, notAfter: Date, ca: Buffer, cert: Buffer, key: Buffer) {
    this.service = service;
    this.notAfter = notAfter;
    this.#ca = ca;
    this.#cert = cert;
    this.#key = key;
  }

  /**
   * Reads and checks the files, so that a wrong one fails the start with a clear error rather than every handshake later.
   * @param files the PEM files
   * @param service the service this process is: its certificate must name `<service>.wallet.internal`
   * @throws WalletError CONFIG_INVALID naming the variable whose file is unreadable, not PEM, expired, not issued by the
   * CA, not for `service`, or (the key) not the certificate's
   */
  static fromFiles(files: GrpcTlsFiles, service: string): GrpcTls {
    const ca = read(files.caFile, 'GRPC_TLS_CA_FILE');
    const cert = read(files.certFile, 'GRPC_TLS_CERT_FILE');
    const key = read(files.keyFile, 'GRPC_TLS_KEY_FILE');
    // The CA file may hold several CA certificates (a bundle, while the CA is being changed: docs/operations-tls.md).
    const caCerts = parse('GRPC_TLS_CA_FILE', () => pemCertificates(ca).map((pem) => new X509Certificate(pem)));
    const own = parse('GRPC_TLS_CERT_FILE', () => new X509Certificate(cert));
    const privateKey = parse('GRPC_TLS_KEY_FILE', () => createPrivateKey(key));
    if (caCerts.length === 0 || !caCerts.every((c) => c.ca)) invalid('GRPC_TLS_CA_FILE', 'not a CA certificate');
    if (!caCerts.some((c) => own.checkIssued(c) && own.verify(c.publicKey)))
      invalid('GRPC_TLS_CERT_FILE', 'not issued by the CA of GRPC_TLS_CA_FILE');
    if (!own.checkPrivateKey(privateKey)) invalid('GRPC_TLS_KEY_FILE', 'not the key of the certificate in GRPC_TLS_CERT_FILE');
    const notAfter = new Date(own.validTo);
    if (notAfter.getTime() <= Date.now()) invalid('GRPC_TLS_CERT_FILE', `certificate expired at ${notAfter.toISOString()}`);
    if (serviceOf(own.subjectAltName) !== service)
      invalid(
        'GRPC_TLS_CERT_FILE',
        `certificate does not name ${serviceServerName(service)} (subjectAltName ${own.subjectAltName ?? 'none'})`,
      );
    return new GrpcTls(service, notAfter, ca, cert, key);
  }

  /** Server credentials that require a client certificate issued by the CA (the handshake fails without one). */
  serverCredentials(): ServerCredentials {
    return ServerCredentials.createSsl(this.#ca, [{ cert_chain: this.#cert, private_key: this.#key }], true);
  }

  /**
   * Client credentials for dialing `service` at whatever address discovery gives: the server must present a certificate
   * from the CA naming `<service>.wallet.internal`; this process presents its own.
   */
  clientOf(service: string): ClientTls {
    return {
      service,
      credentials: credentials.createSsl(this.#ca, this.#key, this.#cert),
      channelOptions: { 'grpc.ssl_target_name_override': serviceServerName(service) },
    };
  }
}

/**
 * The calling service named by a verified client certificate (`transrv` for `DNS:transrv.wallet.internal`).
 * A certificate naming two services names none: it would otherwise pass for whichever name came first, and the
 * authorization tables grant by name (docs/operations-tls.md).
 * @param subjectAltName the peer certificate's `subjectaltname`, e.g. `DNS:transrv.wallet.internal`
 * @returns undefined when there is no such name, or more than one (plaintext, a certificate for something else)
 */
export function serviceOf(subjectAltName: string | undefined): string | undefined {
  const services = new Set<string>();
  for (const name of (subjectAltName ?? '').split(',')) {
    const match = serviceNamePattern.exec(name.trim());
    if (match) services.add(match[1]!);
  }
  return services.size === 1 ? [...services][0] : undefined;
}

/** Every `CERTIFICATE` block of a PEM file, in order. */
function pemCertificates(pem: Buffer): string[] {
  return pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function read(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    return invalid(variable, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function parse<T>(variable: string, make: () => T): T {
  try {
    return make();
  } catch {
    return invalid(variable, 'not a PEM certificate or key');
  }
}

function invalid(variable: string, reason: string): never {
  throw new WalletError('CONFIG_INVALID', `invalid configuration: ${variable}: ${reason}`, { details: { variables: [variable] } });
}
