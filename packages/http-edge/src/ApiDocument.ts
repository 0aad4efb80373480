import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { type ErrorCode, errorRegistry } from '@wallet/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput, validationFailed } from './parseInput.js';
import { readJsonBody } from './readJsonBody.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type HeadersObject = Record<string, { readonly description: string; readonly schema: { readonly type: 'string' | 'integer' } }>;

/** What a document adds to every operation, beyond what each route declares. */
export type ApiDocumentOptions = {
  /**
   * The scope a secured route needs (`security: [{scheme: [scope]}]` in the document), from its method and full path
   * in OpenAPI syntax. A secured route it gives none for is refused when registered: a route is never served
   * without one. @default no scopes
   */
  readonly scopeOf?: (method: Method, path: string) => string | undefined;
  /** Headers of every answer (success and error), e.g. X-Request-Id. */
  readonly responseHeaders?: HeadersObject;
  /** Headers of every answer of a secured route, e.g. RateLimit-*. */
  readonly securedResponseHeaders?: HeadersObject;
};
type ObjectSchema = z.ZodObject;

/** One answer of a route: its description and, unless it has no body, the schema of its body. */
export type ResponseSpec = {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** A body that is not JSON (a stream): its media type, documented without a schema. */
  readonly contentType?: string;
};

/** A route as both the server and its OpenAPI document know it. */
export type RouteSpec<P extends ObjectSchema | undefined, Q extends ObjectSchema | undefined, B extends z.ZodType | undefined> = {
  readonly method: Method;
  /** Relative to the plugin's prefix, in fastify syntax (`/accounts/:id`). */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** The body may be left out entirely (it then parses as `{}`). @default false */
  readonly bodyOptional?: boolean;
  /** Success answers by status. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Error codes this route may answer with (each one in the registry, documented in docs/errors.md). */
  readonly errors?: readonly ErrorCode[];
  /** Which security scheme of the document protects it; none for open routes. */
  readonly security?: string;
};

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: params, query and body already validated by the route's schemas. */
export type RouteInput<P, Q, B> = { readonly params: Parsed<P>; readonly query: Parsed<Q>; readonly body: Parsed<B> };

export type RouteHandler<P, Q, B> = (input: RouteInput<P, Q, B>, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The error envelope every error answer has (docs/errors.md). */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorRegistry) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .meta({ id: 'Error' });

const emptyObject = z.object({}).strict();

/**
 * The one place a service declares its HTTP routes: each `route()` registers the fastify handler and the OpenAPI
 * operation from the same zod schemas, so the served document cannot drift from what the server validates.
 * Every route validates its params, query (no unknown keys: an empty schema when it takes none) and JSON body into
 * VALIDATION_FAILED with one details shape before its handler runs.
 */
export class ApiDocument {
  readonly #registry = new OpenAPIRegistry();
  readonly #operations: { method: Method; path: string }[] = [];
  readonly #info: { title: string; version: string; description?: string };
  readonly #options: ApiDocumentOptions;

  /**
   * @param info the document's title, version and description
   * @param securitySchemes named schemes routes refer to with `security`
   * @param options scopes of secured routes and the headers answers carry
   */
  constructor(
    info: { title: string; version: string; description?: string },
    securitySchemes: Record<string, Parameters<OpenAPIRegistry['registerComponent']>[2]> = {},
    options: ApiDocumentOptions = {},
  ) {
    this.#info = info;
    this.#options = options;
    for (const [name, scheme] of Object.entries(securitySchemes)) this.#registry.registerComponent('securitySchemes', name, scheme);
  }

  /** Every operation declared so far, as `METHOD /full/path` in OpenAPI path syntax. */
  get operations(): readonly { method: Method; path: string }[] {
    return this.#operations;
  }

  /**
   * Declares a route on `app` (inside its plugin prefix) and in the document.
   * @param app the fastify instance or plugin scope to register on
   * @param spec method, path, schemas, answers and error codes
   * @param handler receives the validated input
   */
  route<P extends ObjectSchema | undefined, Q extends ObjectSchema | undefined, B extends z.ZodType | undefined>(
    app: FastifyInstance,
    spec: RouteSpec<P, Q, B>,
    handler: RouteHandler<P, Q, B>,
  ): void {
    const fullPath = `${app.prefix}${spec.path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const scope = this.#scopeOf(spec, fullPath);
    const params = spec.params ?? emptyObject;
    const query = spec.query ?? emptyObject;
    const body = spec.body;
    app.route({
      method: spec.method,
      url: spec.path,
      handler: async (request, reply) => {
        const input = {
          params: parseInput(params, request.params ?? {}, 'params'),
          query: parseInput(query, request.query ?? {}, 'query'),
          body: readBody(request, body, spec.bodyOptional === true),
        } as RouteInput<P, Q, B>;
        return handler(input, request, reply);
      },
    });
    this.#operations.push({ method: spec.method, path: fullPath });
    this.#registry.registerPath(this.#operation(spec, fullPath, scope));
  }

  /**
   * Declares an operation that is served outside `route()` (e.g. a health probe with its own body shape).
   * @param config the OpenAPI route config
   */
  declare(config: RouteConfig): void {
    this.#operations.push({ method: config.method.toUpperCase() as Method, path: config.path });
    this.#registry.registerPath(config);
  }

  /** The OpenAPI 3.1 document of every declared route. */
  toJSON(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
    return new OpenApiGeneratorV31(this.#registry.definitions).generateDocument({ openapi: '3.1.0', info: this.#info });
  }

  /** The scope a secured route needs; undefined for an open one, or when the document has no scopes. */
  #scopeOf(spec: { method: Method; security?: string | undefined }, path: string): string | undefined {
    const scopeOf = this.#options.scopeOf;
    if (spec.security === undefined || scopeOf === undefined) return undefined;
    const scope = scopeOf(spec.method, path);
    if (scope === undefined)
      throw new Error(`${spec.method} ${path} is secured but has no scope: give it one where the scopes are declared`);
    return scope;
  }

  #operation(
    spec: RouteSpec<ObjectSchema | undefined, ObjectSchema | undefined, z.ZodType | undefined>,
    path: string,
    scope: string | undefined,
  ): RouteConfig {
    const headers = {
      ...this.#options.responseHeaders,
      ...(spec.security === undefined ? {} : this.#options.securedResponseHeaders),
    };
    const withHeaders = Object.keys(headers).length === 0 ? {} : { headers };
    const responses: RouteConfig['responses'] = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] =
        r.contentType !== undefined
          ? { description: r.description, ...withHeaders, content: { [r.contentType]: { schema: r.schema ?? { type: 'string' } } } }
          : r.schema === undefined
            ? { description: r.description, ...withHeaders }
            : { description: r.description, ...withHeaders, content: { 'application/json': { schema: r.schema } } };
    }
    // Error answers grouped by HTTP status, each listing the codes it may carry.
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of new Set<ErrorCode>(['VALIDATION_FAILED', 'INTERNAL', ...(spec.errors ?? [])])) {
      const status = errorRegistry[code].http;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[String(status)] = {
        description: codes.map((c) => `\`${c}\`: ${errorRegistry[c].description}`).join('\n\n'),
        ...withHeaders,
        content: { 'application/json': { schema: ErrorEnvelope } },
      };
    }
    const request: NonNullable<RouteConfig['request']> = {};
    if (spec.params !== undefined) request.params = spec.params;
    if (spec.query !== undefined) request.query = spec.query;
    if (spec.body !== undefined) {
      request.body = { required: spec.bodyOptional !== true, content: { 'application/json': { schema: spec.body } } };
    }
    return {
      method: spec.method.toLowerCase() as RouteConfig['method'],
      path,
      summary: spec.summary,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      ...(spec.tags === undefined ? {} : { tags: [...spec.tags] }),
      ...(spec.security === undefined ? { security: [] } : { security: [{ [spec.security]: scope === undefined ? [] : [scope] }] }),
      'x-error-codes': [...(spec.errors ?? [])],
      request,
      responses,
    };
  }
}

function readBody(request: FastifyRequest, schema: z.ZodType | undefined, optional: boolean): unknown {
  const raw = request.body;
  const value = Buffer.isBuffer(raw) ? readJsonBody(raw, request.headers['content-type']) : raw;
  if (schema === undefined) {
    if (value !== undefined) throw validationFailed([{ field: 'body', message: 'this route takes no body' }]);
    return undefined;
  }
  return parseInput(schema, value === undefined && optional ? {} : value, 'body');
}
