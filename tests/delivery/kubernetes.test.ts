import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { envPairs, parseDockerfile } from '../helpers/dockerfile.js';
import { parseWorkflow } from '../helpers/workflow.js';

const DIR = new URL('../../deploy/kubernetes/', import.meta.url);
const load = (file: string): unknown => parse(readFileSync(new URL(file, DIR), 'utf8'));

interface Kustomization {
  namespace: string;
  resources: string[];
}
interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  env: { name: string; value: string }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}
interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: {
    replicas: number;
    strategy: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        securityContext: Record<string, unknown>;
        containers: Container[];
        volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
      };
    };
  };
}

const kustomization = load('kustomization.yaml') as Kustomization;
const deployment = load('deployment.yaml') as Deployment;
const service = load('service.yaml') as {
  metadata: { name: string };
  spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
};
const claim = load('persistentvolumeclaim.yaml') as { metadata: { name: string }; spec: { accessModes: string[] } };
const container = deployment.spec.template.spec.containers[0];
const dockerfile = parseDockerfile(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
const runtime = dockerfile.stages.at(-1)?.instructions ?? [];
const deployJob = parseWorkflow(readFileSync(new URL('../../.github/workflows/ci-cd.yml', import.meta.url), 'utf8'))
  .jobs.deploy;

describe('deploy/kubernetes', () => {
  it('lists every manifest in the kustomization, all present, in the namespace the pipeline deploys to', () => {
    expect(kustomization.resources).toStrictEqual([
      'namespace.yaml',
      'persistentvolumeclaim.yaml',
      'deployment.yaml',
      'service.yaml',
    ]);
    for (const file of kustomization.resources) {
      expect(existsSync(new URL(file, DIR))).toBe(true);
    }
    expect(kustomization.namespace).toBe((load('namespace.yaml') as { metadata: { name: string } }).metadata.name);
    expect(deployJob?.env?.NAMESPACE).toBe(kustomization.namespace);
    expect(deployJob?.env?.DEPLOYMENT).toBe(deployment.metadata.name);
    expect(service.metadata.name).toBe(deployment.metadata.name);
  });

  it('runs one replica, replaced on rollout, while the store is a SQLite file on a ReadWriteOnce volume', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    expect(claim.spec.accessModes).toStrictEqual(['ReadWriteOnce']);
    const volume = deployment.spec.template.spec.volumes.find((v) => v.persistentVolumeClaim !== undefined);
    expect(volume?.persistentVolumeClaim?.claimName).toBe(claim.metadata.name);
    const dataMount = container?.volumeMounts.find((m) => m.name === volume?.name);
    const imageVolume = runtime.find((i) => i.keyword === 'VOLUME')?.args;
    expect(imageVolume).toBe(`["${String(dataMount?.mountPath)}"]`);
    const imageEnv = Object.fromEntries(runtime.filter((i) => i.keyword === 'ENV').flatMap((i) => envPairs(i.args)));
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.DATABASE_URL).toBe(imageEnv.DATABASE_URL);
    expect(env.DATABASE_URL).toBe(`sqlite:${String(dataMount?.mountPath)}/inventory.db`);
  });

  it('uses the image placeholder that the pipeline replaces by digest', () => {
    expect(container?.image).toBe('inventory-api');
    const apply = deployJob?.steps.find((s) => s.run?.includes('kubectl apply -k') === true)?.run ?? '';
    expect(apply).toMatch(
      /images:\n\s+- name: inventory-api\n\s+newName: \$\{IMAGE_NAME\}\n\s+digest: \$\{IMAGE_DIGEST\}/,
    );
    expect(apply).toContain('- ../kubernetes');
  });

  it('probes /api/v1/health on the container port the image exposes, behind the Service', () => {
    expect(container?.ports).toStrictEqual([{ name: 'http', containerPort: 5000 }]);
    expect(runtime.find((i) => i.keyword === 'EXPOSE')?.args).toBe('5000');
    expect(container?.readinessProbe.httpGet).toStrictEqual({ path: '/api/v1/health', port: 'http' });
    expect(container?.livenessProbe.httpGet).toStrictEqual({ path: '/api/v1/health', port: 'http' });
    expect(service.spec.ports).toStrictEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
    expect(service.spec.selector).toStrictEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it('runs as the image user, non-root, read-only, without privileges, with resource bounds', () => {
    const imageUser = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(deployment.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: Number(imageUser?.split(':')[0]),
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container?.securityContext).toStrictEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(Object.keys(container?.resources.requests ?? {})).toStrictEqual(['cpu', 'memory']);
    expect(container?.resources.limits.memory).toBeDefined();
  });
});
