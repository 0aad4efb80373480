/** The shape ts-proto generates for one unary method of a `*Service` definition. */
export type UnaryMethodDefinition<Req, Res> = {
  readonly path: string;
  readonly requestStream: false;
  readonly responseStream: false;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly requestDeserialize: (bytes: Buffer) => Req;
  readonly responseSerialize: (value: Res) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => Res;
};

// biome-ignore lint: the constraint needs to accept every generated request/response type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constraint only; method types are inferred exactly below
export type AnyUnaryMethod = UnaryMethodDefinition<any, any>;

/** A generated service definition restricted to unary methods (all wallet services are unary). */
export type UnaryServiceDefinition = Readonly<Record<string, AnyUnaryMethod>>;

export type RequestOf<M> = M extends UnaryMethodDefinition<infer Req, infer _Res> ? Req : never;
export type ResponseOf<M> = M extends UnaryMethodDefinition<infer _Req, infer Res> ? Res : never;
