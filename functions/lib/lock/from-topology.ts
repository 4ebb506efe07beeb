/**
 * The `meshctl` lock adapter as the topology configures it: binary, timeout, and where each
 * server's kube context comes from (a kubeconfig the function writes for the EKS cluster, the
 * topology's `lock.kubeconfig`, or `$KUBECONFIG`).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SwitchActive } from '../ports.ts';
import type { Topology } from '../topology.ts';
import { writeEksKubeconfig } from './kubeconfig.ts';
import { MeshctlSwitchActive, type Timer } from './meshctl.ts';

/** The meshctl runner of a topology, or undefined when its lock adapter is not `meshctl`. */
export function meshctlFromTopology(t: Topology, timer?: Timer): SwitchActive | undefined {
  const l = t.lock;
  if (l.adapter !== 'meshctl') return undefined;
  return new MeshctlSwitchActive({
    binary: l.binary,
    timeoutMs: l.timeoutSeconds * 1000,
    ...(timer ? { timer } : {}),
    kubeconfigFor: async (req) => {
      const entry = Object.entries(l.servers).find(([, s]) => s.kubeContext === req.kubeContext);
      const server = t.servers.find((s) => s.id === entry?.[0]);
      const eks = entry?.[1].eks;
      if (eks && server) {
        // Loaded only here: the SDK's credential chain is needed for the EKS token alone.
        const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
        return writeEksKubeconfig(
          {
            kubeContext: req.kubeContext,
            clusterName: eks.clusterName,
            region: server.region,
            endpoint: eks.endpoint,
            certificateAuthorityData: eks.certificateAuthorityData,
          },
          defaultProvider(),
        );
      }
      return l.kubeconfig;
    },
  });
}

/** Where a kube context is looked up outside AWS: `lock.kubeconfig`, else `$KUBECONFIG`, else ~/.kube/config. */
export function kubeconfigPaths(t: Topology, env: NodeJS.ProcessEnv = process.env): string[] {
  if (t.lock.adapter === 'meshctl' && t.lock.kubeconfig) return [t.lock.kubeconfig];
  if (env.KUBECONFIG) return env.KUBECONFIG.split(':').filter(Boolean);
  return [join(homedir(), '.kube', 'config')];
}

/** Whether a kubeconfig file (JSON or YAML) defines a context of that name. */
export function kubeconfigHasContext(text: string, context: string): boolean {
  try {
    const doc = JSON.parse(text) as { contexts?: { name?: string }[] };
    return (doc.contexts ?? []).some((c) => c.name === context);
  } catch {
    // YAML: a `name:` entry inside the `contexts:` list.
    const section = text.split(/^contexts:\s*$/m)[1]?.split(/^\S/m)[0] ?? '';
    const quoted = context.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^\\s*-?\\s*name:\\s*["']?${quoted}["']?\\s*$`, 'm').test(section);
  }
}

/**
 * Preflight's check for the meshctl adapter: the target's kube context is configured (an EKS
 * cluster the function writes a kubeconfig for, or a context in the kubeconfig file).
 */
export function meshctlReadiness(
  t: Topology,
  env: NodeJS.ProcessEnv = process.env,
): ((serverId: string) => Promise<{ ok: boolean; detail: string }>) | undefined {
  const l = t.lock;
  if (l.adapter !== 'meshctl') return undefined;
  return async (serverId) => {
    const s = l.servers[serverId];
    if (!s) return { ok: false, detail: `lock.servers.${serverId} is missing` };
    if (s.eks)
      return {
        ok: true,
        detail: `kube context ${s.kubeContext} -> EKS cluster ${s.eks.clusterName} (kubeconfig written at switch time, token signed by this function's role)`,
      };
    const paths = kubeconfigPaths(t, env);
    for (const path of paths) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      if (kubeconfigHasContext(text, s.kubeContext))
        return { ok: true, detail: `kube context ${s.kubeContext} found in ${path}` };
    }
    return {
      ok: false,
      detail: `kube context ${s.kubeContext} (lock.servers.${serverId}.kubeContext) is not defined in ${paths.join(', ')}; set lock.kubeconfig, KUBECONFIG, or lock.servers.${serverId}.eks`,
    };
  };
}
