import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import { selects } from './workloads.js';

/** A pod as NetworkPolicies see it: its labels, its namespace, and its named ports (to resolve named rule ports). */
export type PolicyPod = {
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly ports: Readonly<Record<string, number>>;
};

const namespaceLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });

function peerMatches(peer: INetworkPolicyPeer, pod: PolicyPod, policyNamespace: string): boolean {
  // An ipBlock names addresses outside the pod network here (the external services): it never matches a pod.
  if (peer.ipBlock) return false;
  const inNamespace = peer.namespaceSelector
    ? selects(peer.namespaceSelector, namespaceLabels(pod.namespace))
    : pod.namespace === policyNamespace;
  return inNamespace && (peer.podSelector ? selects(peer.podSelector, pod.labels) : true);
}

function portMatches(ports: INetworkPolicyPort[] | undefined, port: number, destination: PolicyPod): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(
    (p) =>
      (p.protocol ?? 'TCP') === 'TCP' &&
      (p.port === undefined || p.port === port || (typeof p.port === 'string' && destination.ports[p.port] === port)),
  );
}

/**
 * Whether the policies let `source` open a TCP connection to `destination` on `port`, by the NetworkPolicy rules: each
 * direction is open unless some policy selects the pod for it, and then only what one of those policies' rules allows;
 * both the source's egress and the destination's ingress must allow it.
 */
export function allowed(
  policies: readonly INetworkPolicy[],
  namespace: string,
  source: PolicyPod,
  destination: PolicyPod,
  port: number,
): boolean {
  const applying = (pod: PolicyPod, type: 'Ingress' | 'Egress') =>
    pod.namespace === namespace
      ? policies.filter((p) => selects(p.spec?.podSelector ?? {}, pod.labels) && policyTypes(p).includes(type))
      : [];
  const ingress = applying(destination, 'Ingress');
  const ingressOk =
    ingress.length === 0 ||
    ingress.some((p) =>
      (p.spec?.ingress ?? []).some(
        (r) => (r.from ?? [{}]).some((peer) => peerMatches(peer, source, namespace)) && portMatches(r.ports, port, destination),
      ),
    );
  const egress = applying(source, 'Egress');
  const egressOk =
    egress.length === 0 ||
    egress.some((p) =>
      (p.spec?.egress ?? []).some(
        (r) => (r.to ?? [{}]).some((peer) => peerMatches(peer, destination, namespace)) && portMatches(r.ports, port, destination),
      ),
    );
  return ingressOk && egressOk;
}

function policyTypes(p: INetworkPolicy): string[] {
  // Without policyTypes a policy is an Ingress policy, and an Egress one too when it has egress rules.
  return p.spec?.policyTypes ?? ['Ingress', ...(p.spec?.egress ? ['Egress'] : [])];
}
