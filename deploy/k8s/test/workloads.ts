import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { Manifest } from './loadManifests.js';

/** A pod (template) of a Deployment, StatefulSet, Job or a bare Pod, with what the tests need to know about it. */
export type Workload = {
  readonly kind: 'Deployment' | 'StatefulSet' | 'Job' | 'Pod';
  readonly name: string;
  readonly file: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly pod: IPodSpec;
  readonly replicas: number | undefined;
  /** The name a pod of it gets: `<name>-0` for a StatefulSet's first pod. */
  readonly samplePodName: string;
};

export function workloadsOf(objects: readonly Manifest[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    if (o.kind === 'Pod') {
      out.push({
        kind: o.kind,
        name: o.metadata.name,
        file: o.file,
        podLabels: o.metadata.labels ?? {},
        pod: o['spec'] as IPodSpec,
        replicas: 1,
        samplePodName: o.metadata.name,
      });
      continue;
    }
    if (o.kind !== 'Deployment' && o.kind !== 'StatefulSet' && o.kind !== 'Job') continue;
    const spec = o['spec'] as { replicas?: number; template: { metadata?: { labels?: Record<string, string> }; spec: IPodSpec } };
    out.push({
      kind: o.kind,
      name: o.metadata.name,
      file: o.file,
      podLabels: spec.template.metadata?.labels ?? {},
      pod: spec.template.spec,
      replicas: spec.replicas,
      samplePodName: o.kind === 'StatefulSet' ? `${o.metadata.name}-0` : `${o.metadata.name}-7c9d5b8f6d-x2x4q`,
    });
  }
  return out;
}

/** A long-running service (not the migration Job, not an operator's pod). */
export const isService = (w: Workload): boolean => w.kind === 'Deployment' || w.kind === 'StatefulSet';

export function containersOf(w: Workload): IContainer[] {
  return [...(w.pod.initContainers ?? []), ...w.pod.containers];
}

/**
 * Stand-in values for what a Secret gives a container through secretKeyRef, keyed `<secret>/<key>`: shaped like the
 * real thing so that each service's config schema judges them. A reference without an entry here fails the test, so
 * a new Secret is noticed (and documented in docs/operations.md).
 */
export const secretPlaceholders: Readonly<Record<string, string>> = {
  'wallet-redis/url': 'redis://:placeholder@redis:6379',
  'wallet-mysql-admin/url': 'mysql://root:placeholder@mysql:3306/wallet',
  'accountsrv-mysql/url': 'mysql://wallet_accountsrv:placeholder@mysql:3306/wallet',
  'transrv-mysql/url': 'mysql://wallet_transrv:placeholder@mysql:3306/wallet',
  'signsrv-mysql/url': 'mysql://wallet_signsrv:placeholder@mysql:3306/wallet',
  // Only the length of an xpub is checked by accountsrv's schema; the chains must match WALLET_ASSETS.
  'accountsrv-xpubs/xpubs': JSON.stringify({ eth: `xpub${'A'.repeat(107)}` }),
  'signsrv-auditors/auditors': JSON.stringify({ alice: 'a'.repeat(64) }),
};

/** What the downward API gives (fieldRef), for a pod of `w`. */
function fieldValue(w: Workload, fieldPath: string): string {
  switch (fieldPath) {
    case 'metadata.name':
      return w.samplePodName;
    case 'metadata.namespace':
      return 'wallet';
    case 'status.podIP':
      return '10.244.1.23';
    default:
      throw new Error(`${w.name}: fieldRef ${fieldPath} has no stand-in in the test`);
  }
}

/**
 * The environment a container of `w` starts with, as the kubelet builds it: envFrom ConfigMaps first, then `env` in
 * order with `$(VAR)` expanded from what is defined before it (an undefined reference stays as written). Secrets give
 * {@link secretPlaceholders}.
 * @throws Error naming the container for a reference the manifests cannot satisfy
 */
export function containerEnv(w: Workload, c: IContainer, objects: readonly Manifest[]): Map<string, string> {
  const env = new Map<string, string>();
  const configMap = (name: string) => {
    const found = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!found) throw new Error(`${w.name}/${c.name}: ConfigMap ${name} is not in the manifests`);
    return (found['data'] ?? {}) as Record<string, string>;
  };
  for (const from of c.envFrom ?? []) {
    if (!from.configMapRef?.name) throw new Error(`${w.name}/${c.name}: only envFrom configMapRef is supported here`);
    for (const [k, v] of Object.entries(configMap(from.configMapRef.name))) env.set(`${from.prefix ?? ''}${k}`, String(v));
  }
  for (const e of c.env ?? []) env.set(e.name, expand(envValue(w, c, e, configMap), env));
  return env;
}

function envValue(w: Workload, c: IContainer, e: IEnvVar, configMap: (name: string) => Record<string, string>): string {
  if (e.value !== undefined) return e.value;
  const from = e.valueFrom;
  if (from?.secretKeyRef) {
    const key = `${from.secretKeyRef.name}/${from.secretKeyRef.key}`;
    const value = secretPlaceholders[key];
    if (value === undefined) throw new Error(`${w.name}/${c.name}: ${e.name} reads Secret ${key}, which has no placeholder in the test`);
    return value;
  }
  if (from?.configMapKeyRef) {
    const value = configMap(from.configMapKeyRef.name ?? '')[from.configMapKeyRef.key];
    if (value === undefined) throw new Error(`${w.name}/${c.name}: ${e.name}: no key ${from.configMapKeyRef.key} in its ConfigMap`);
    return value;
  }
  if (from?.fieldRef) return fieldValue(w, from.fieldRef.fieldPath);
  return '';
}

function expand(value: string, env: ReadonlyMap<string, string>): string {
  // $$(VAR) is an escaped, literal $(VAR).
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string | undefined) =>
    name === undefined ? '$' : (env.get(name) ?? whole),
  );
}

/** Does `selector` (matchLabels and matchExpressions In/NotIn/Exists) select a pod labelled `labels`? */
export function selects(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] },
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = labels[e.key];
    const ok =
      e.operator === 'In'
        ? value !== undefined && (e.values ?? []).includes(value)
        : e.operator === 'NotIn'
          ? value === undefined || !(e.values ?? []).includes(value)
          : e.operator === 'Exists'
            ? value !== undefined
            : value === undefined;
    if (!ok) return false;
  }
  return true;
}

/** Does a port reference (a number or a port name) name a port `c` declares? */
export function declaresPort(c: IContainer, port: number | string): boolean {
  return (c.ports ?? []).some((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
}
