import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import {
  NON_HEAP_MIB,
  POSTGRES_CONNECTIONS_FOR_APPS,
  environmentProblems,
  heapLimitMiB,
  imageFacts,
  quantity,
  semiSpaceMiB,
} from '../helpers/deployment.js';
import { type Step, parseWorkflow } from '../helpers/workflow.js';

const DIR = new URL('../../deploy/kubernetes/', import.meta.url);
const text = (file: string) => readFileSync(new URL(file, DIR), 'utf8');

type Labels = Record<string, string>;
interface Metadata {
  name: string;
  labels?: Labels;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
}
interface Kustomization {
  namespace: string;
  resources: string[];
  configMapGenerator?: { name: string; envs?: string[]; literals?: string[] }[];
  secretGenerator?: unknown;
}
interface Probe {
  httpGet: { path: string; port: string };
  timeoutSeconds?: number;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  seccompProfile?: { type: string };
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: SecurityContext;
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodTemplate {
  metadata: { labels: Labels };
  spec: {
    automountServiceAccountToken?: boolean;
    restartPolicy?: string;
    securityContext: SecurityContext & { fsGroup?: number };
    topologySpreadConstraints?: {
      maxSkew: number;
      topologyKey: string;
      whenUnsatisfiable: string;
      labelSelector: { matchLabels: Labels };
    }[];
    containers: Container[];
    volumes: { name: string; emptyDir?: object }[];
  };
}
interface Deployment extends Manifest {
  spec: {
    replicas?: number;
    strategy: { type: string; rollingUpdate: { maxUnavailable: number | string; maxSurge: number | string } };
    selector: { matchLabels: Labels };
    template: PodTemplate;
  };
}
interface Job extends Manifest {
  spec: {
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    template: PodTemplate;
  };
}
interface Service extends Manifest {
  spec: { selector: Labels; ports: { name: string; port: number; targetPort: string }[] };
}
interface Budget extends Manifest {
  spec: { minAvailable?: number; maxUnavailable?: number; selector: { matchLabels: Labels } };
}
interface Autoscaler extends Manifest {
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: { type: string; resource: { name: string; target: { type: string; averageUtilization: number } } }[];
  };
}

const kustomization = parse(text('kustomization.yaml')) as Kustomization;
const manifests = kustomization.resources.map((file) => parse(text(file)) as Manifest);
function one(kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  if (found.length !== 1 || found[0] === undefined) {
    throw new Error(`${found.length} manifests of kind ${kind}`);
  }
  return found[0];
}
const deployment = one('Deployment') as Deployment;
const job = one('Job') as Job;
const service = one('Service') as Service;
const budget = one('PodDisruptionBudget') as Budget;
const autoscaler = one('HorizontalPodAutoscaler') as Autoscaler;
const namespace = one('Namespace');
const [api] = deployment.spec.template.spec.containers;
const [migrate] = job.spec.template.spec.containers;
const podLabels = deployment.spec.template.metadata.labels;

/** The ConfigMap that kustomize generates: KEY=VALUE lines, `#` comments. */
const generator = kustomization.configMapGenerator?.[0];
const configData = Object.fromEntries(
  (generator?.envs ?? [])
    .flatMap((file) => text(file).split('\n'))
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
) as Record<string, string>;

const image = imageFacts();
const workflow = parseWorkflow(readFileSync(new URL('../../.github/workflows/ci-cd.yml', import.meta.url), 'utf8'));
const deployJob = workflow.jobs.deploy;
const deployStep = (id: string): Step => {
  const found = deployJob?.steps.find((s) => s.id === id);
  if (found === undefined) {
    throw new Error(`no step ${id} in the job deploy`);
  }
  return found;
};

/** A label selector of `key=value` and `key!=value` terms, as kubectl's --selector matches objects. */
function matches(selector: string, labels: Labels): boolean {
  return selector.split(',').every((term) => {
    const [key = '', value] = term.split(/!?=/);
    return term.includes('!=') ? labels[key] !== value : labels[key] === value;
  });
}
const matchesLabels = (selector: Labels, labels: Labels) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** Every container of the Deployment and the Job, with its pod's spec. */
const workloads = [
  { what: 'Deployment', pod: deployment.spec.template.spec },
  { what: 'Job', pod: job.spec.template.spec },
];

describe('deploy/kubernetes', () => {
  it('lists every manifest of the folder in the kustomization, one object each, in the pipeline namespace', () => {
    expect(kustomization.resources).toStrictEqual([
      'namespace.yaml',
      'deployment.yaml',
      'service.yaml',
      'poddisruptionbudget.yaml',
      'horizontalpodautoscaler.yaml',
      'migration-job.yaml',
    ]);
    const inFolder = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(inFolder.sort()).toStrictEqual([...kustomization.resources].sort());
    for (const file of kustomization.resources) {
      expect(existsSync(new URL(file, DIR))).toBe(true);
      expect(parseAllDocuments(text(file))).toHaveLength(1);
    }
    expect(manifests.map((m) => m.kind)).toStrictEqual([
      'Namespace',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'Job',
    ]);
    expect(kustomization.namespace).toBe('inventory');
    expect(namespace.metadata.name).toBe(kustomization.namespace);
    expect(deployJob?.env?.NAMESPACE).toBe(kustomization.namespace);
    expect(deployJob?.env?.DEPLOYMENT).toBe(deployment.metadata.name);
    expect(deployment.metadata.name).toBe('inventory-api');
    expect(service.metadata.name).toBe(deployment.metadata.name);
  });

  it('has the cluster enforce the restricted Pod Security profile in the namespace', () => {
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('uses the image placeholder that the pipeline replaces by digest, in the API and in the Job', () => {
    expect(api?.image).toBe('inventory-api');
    expect(migrate?.image).toBe(api?.image);
    const render = deployStep('render').run ?? '';
    expect(render).toMatch(
      /images:\n\s+- name: inventory-api\n\s+newName: \$\{IMAGE_NAME\}\n\s+digest: \$\{IMAGE_DIGEST\}/,
    );
    expect(render).toContain('- ../kubernetes');
    expect(render).toContain('kubectl kustomize deploy/release');
  });
});

describe('deploy/kubernetes: the API pods', () => {
  it('leaves the count to the autoscaler, 3 to 10 pods on CPU, and rolls out without dropping below it', () => {
    // A `replicas` in the manifest would reset the autoscaler's count at every apply.
    expect(deployment.spec.replicas).toBeUndefined();
    expect(autoscaler.apiVersion).toBe('autoscaling/v2');
    expect(autoscaler.spec.scaleTargetRef).toStrictEqual({
      apiVersion: deployment.apiVersion,
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(autoscaler.spec.minReplicas).toBe(3);
    expect(autoscaler.spec.maxReplicas).toBe(10);
    expect(autoscaler.spec.metrics).toStrictEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
    expect(deployment.spec.strategy).toStrictEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  it('spreads the pods over nodes and lets drains take one at a time', () => {
    const spread = deployment.spec.template.spec.topologySpreadConstraints ?? [];
    const byNode = spread.find((c) => c.topologyKey === 'kubernetes.io/hostname');
    expect(byNode).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    expect(byNode?.labelSelector.matchLabels).toStrictEqual(deployment.spec.selector.matchLabels);
    expect(budget.apiVersion).toBe('policy/v1');
    expect(budget.spec.maxUnavailable ?? 0).toBeLessThanOrEqual(1);
    expect(budget.spec.maxUnavailable === 1 || (budget.spec.minAvailable ?? 0) >= 2).toBe(true);
    expect(budget.spec.selector.matchLabels).toStrictEqual(deployment.spec.selector.matchLabels);
  });

  it('is selected by the Service, the budget and the spread, and the migration pod by none of them', () => {
    expect(matchesLabels(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(service.spec.selector).toStrictEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports).toStrictEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
    const migrationPod = job.spec.template.metadata.labels;
    expect(matchesLabels(service.spec.selector, migrationPod)).toBe(false);
    expect(matchesLabels(budget.spec.selector.matchLabels, migrationPod)).toBe(false);
  });

  it('serves on the port the image exposes, with requests and limits of CPU and memory', () => {
    expect(api?.ports).toStrictEqual([{ name: 'http', containerPort: image.port }]);
    expect(image.port).toBe(5000);
    for (const { pod } of workloads) {
      for (const container of pod.containers) {
        for (const resource of ['cpu', 'memory']) {
          const request = quantity(container.resources.requests[resource] ?? '');
          const limit = quantity(container.resources.limits[resource] ?? '');
          expect([container.name, resource, request > 0, limit >= request]).toStrictEqual([
            container.name,
            resource,
            true,
            true,
          ]);
        }
      }
    }
    // The autoscaler's utilisation is a share of the CPU request: there must be one.
    expect(quantity(api?.resources.requests.cpu ?? '')).toBeGreaterThan(0);
  });

  it("limits V8's heap well under each container's memory limit and sizes its young generation (the container's NODE_OPTIONS, else the image's)", () => {
    for (const { pod } of workloads) {
      for (const container of pod.containers) {
        const options =
          container.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value ?? image.env.NODE_OPTIONS;
        const heap = heapLimitMiB(options);
        const limit = quantity(container.resources.limits.memory ?? '') / 2 ** 20;
        expect([container.name, heap !== undefined && heap > 0 && heap <= limit - NON_HEAP_MIB]).toStrictEqual([
          container.name,
          true,
        ]);
        // Under a small memory limit V8 would give the young generation 1 MiB semi-spaces (ten times the
        // scavenges on a default page, docs/benchmarks.md): each container sets at least 8 MiB.
        const semiSpace = semiSpaceMiB(options);
        expect([container.name, semiSpace !== undefined && semiSpace >= 8]).toStrictEqual([container.name, true]);
      }
    }
  });
});

describe('deploy/kubernetes: probes against the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
    await t.db.destroy();
  });

  it('probes readiness on the route that checks the database, liveness and startup on the one that does not', async () => {
    const readiness = api?.readinessProbe?.httpGet;
    const liveness = api?.livenessProbe?.httpGet;
    expect(readiness).toStrictEqual({ path: '/api/v1/health/ready', port: 'http' });
    expect(liveness).toStrictEqual({ path: '/api/v1/health', port: 'http' });
    expect(api?.startupProbe?.httpGet).toStrictEqual(liveness);
    const ready = await t.app.inject({ method: 'GET', url: readiness?.path ?? '' });
    expect([ready.statusCode, ready.json()]).toStrictEqual([200, { status: 'READY' }]);
    const live = await t.app.inject({ method: 'GET', url: liveness?.path ?? '' });
    expect([live.statusCode, live.json()]).toStrictEqual([200, { status: 'OK', version: '1.0' }]);
    // The app answers 503 within READINESS_TIMEOUT_MS; the probe must wait longer than that.
    const { readinessTimeoutMs } = loadConfig({ READINESS_TIMEOUT_MS: configData.READINESS_TIMEOUT_MS });
    expect((api?.readinessProbe?.timeoutSeconds ?? 1) * 1000).toBeGreaterThan(readinessTimeoutMs);
  });
});

describe('deploy/kubernetes: security', () => {
  it.each(workloads)('runs the $what as the image user, non-root, read-only, without privileges', ({ pod }) => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: image.uid,
      runAsGroup: image.gid,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(image.uid).toBeGreaterThanOrEqual(10000);
    expect(image.gid).toBeGreaterThanOrEqual(10000);
    for (const container of pod.containers) {
      // A container's own securityContext overrides its pod's.
      const effective = { ...pod.securityContext, ...container.securityContext };
      expect(effective).toMatchObject({
        runAsNonRoot: true,
        runAsUser: image.uid,
        runAsGroup: image.gid,
        seccompProfile: { type: 'RuntimeDefault' },
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(effective.privileged).not.toBe(true);
      expect(effective.capabilities?.add).toBeUndefined();
      // The root filesystem is read-only: /tmp is a volume of the pod's own.
      const tmp = container.volumeMounts.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    }
  });
});

describe('deploy/kubernetes: configuration and secrets', () => {
  it('takes its settings from the generated ConfigMap, all of them variables the app knows', () => {
    expect(generator).toStrictEqual({ name: 'inventory-api', envs: ['config.env'] });
    expect(environmentProblems(configData)).toStrictEqual([]);
    expect(configData).toMatchObject({
      HOST: '0.0.0.0',
      PORT: String(image.port),
      INVENTORY_MIGRATE: 'false',
      INVENTORY_SEED: 'false',
      METRICS_ENABLED: 'true',
      // The ingress controller's pods forward the clients: their pod network is trusted, nothing else.
      TRUST_PROXY: '10.0.0.0/8',
    });
    expect(Object.keys(configData)).toEqual(
      expect.arrayContaining(['LOG_LEVEL', 'DATABASE_POOL_MAX', 'DATABASE_STATEMENT_TIMEOUT_MS']),
    );
    for (const { pod } of workloads) {
      for (const container of pod.containers) {
        expect(container.envFrom).toStrictEqual([{ configMapRef: { name: generator?.name } }]);
        const literals = Object.fromEntries(
          (container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
        ) as Record<string, string>;
        expect(environmentProblems({ ...configData, ...literals })).toStrictEqual([]);
      }
    }
  });

  it('takes DATABASE_URL and the bootstrap token from the Secret created out of band, and commits none', () => {
    const secretRef = (container: Container | undefined, name: string) =>
      container?.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    expect(secretRef(api, 'DATABASE_URL')).toStrictEqual({ name: 'inventory-api', key: 'DATABASE_URL' });
    expect(secretRef(migrate, 'DATABASE_URL')).toStrictEqual({ name: 'inventory-api', key: 'DATABASE_URL' });
    expect(secretRef(api, 'INVENTORY_BOOTSTRAP_TOKEN')).toStrictEqual({
      name: 'inventory-api',
      key: 'INVENTORY_BOOTSTRAP_TOKEN',
      optional: true,
    });
    // Neither in the ConfigMap nor as a literal value, nor as a Secret in the repository.
    for (const name of ['DATABASE_URL', 'INVENTORY_BOOTSTRAP_TOKEN', 'INVENTORY_BOOTSTRAP_TOKEN_FILE']) {
      expect(configData[name]).toBeUndefined();
      for (const { pod } of workloads) {
        expect(pod.containers.flatMap((c) => c.env ?? []).find((e) => e.name === name)?.value).toBeUndefined();
      }
    }
    expect(kustomization.secretGenerator).toBeUndefined();
    expect(manifests.filter((m) => m.kind === 'Secret')).toStrictEqual([]);
    for (const file of readdirSync(DIR)) {
      const content = text(file);
      expect([file, /^kind:\s*Secret\b/m.test(content)]).toStrictEqual([file, false]);
      expect([file, /postgres(ql)?:\/\/[^\s:/@]+:[^\s@]+@/.test(content)]).toStrictEqual([file, false]);
    }
  });

  it('keeps every connection the pods may open under PostgreSQL max_connections', () => {
    const poolMax = Number(configData.DATABASE_POOL_MAX);
    const surge = Number(deployment.spec.strategy.rollingUpdate.maxSurge);
    const jobPool = Number(migrate?.env?.find((e) => e.name === 'DATABASE_POOL_MAX')?.value ?? poolMax);
    expect(poolMax).toBeGreaterThan(0);
    expect(Number.isInteger(surge)).toBe(true);
    expect(poolMax * (autoscaler.spec.maxReplicas + surge) + jobPool).toBeLessThan(POSTGRES_CONNECTIONS_FOR_APPS);
  });
});

describe('deploy/kubernetes: the migration Job', () => {
  it("runs the image's migrate command, keeping its entrypoint (tini)", () => {
    expect(migrate?.args).toStrictEqual(image.migrateCommand);
    expect(migrate?.command).toBeUndefined();
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('retries a little, gives up after a deadline, and cleans itself up', () => {
    expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(1);
    expect(job.spec.backoffLimit).toBeLessThanOrEqual(6);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    // Its statement timeout leaves the Job's deadline the last word.
    const timeout = Number(migrate?.env?.find((e) => e.name === 'DATABASE_STATEMENT_TIMEOUT_MS')?.value);
    expect(timeout).toBeGreaterThan(Number(configData.DATABASE_STATEMENT_TIMEOUT_MS));
    expect(timeout).toBeLessThan((job.spec.activeDeadlineSeconds ?? 0) * 1000);
  });

  it('is run and waited for by the pipeline before the Deployment rolls, re-created on each deploy', () => {
    const steps = deployJob?.steps ?? [];
    const migrateStep = deployStep('migrate');
    const applyStep = deployStep('apply');
    expect(steps.indexOf(deployStep('render'))).toBeLessThan(steps.indexOf(migrateStep));
    expect(steps.indexOf(migrateStep)).toBeLessThan(steps.indexOf(applyStep));
    expect(deployJob?.env?.MIGRATION_JOB).toBe(job.metadata.name);
    const run = migrateStep.run ?? '';
    const deletion = run.indexOf('kubectl -n "$NAMESPACE" delete job "$MIGRATION_JOB" --ignore-not-found');
    const creation = run.indexOf('kubectl apply -f "$RELEASE"');
    expect(deletion).toBeGreaterThanOrEqual(0);
    expect(creation).toBeGreaterThan(deletion);
    expect(run).toContain('*Complete*');
    expect(run).toMatch(/if \[\[ "\$outcome" != \*Complete\* \]\]; then\n[^\n]*::error[^\n]*\n\s*exit 1/);
    expect(applyStep.run).toContain('rollout status "deployment/$DEPLOYMENT"');

    // The two applies split the objects by label: the Job first (without the API), then the API
    // (without the Job). The generated ConfigMap carries no component label: both take it.
    const selectorOf = (step: Step) => /--selector '([^']+)'/.exec(step.run ?? '')?.[1] ?? '';
    const objects = [...manifests, { kind: 'ConfigMap', metadata: { name: 'inventory-api', labels: {} } }];
    const applied = (step: Step) =>
      objects.filter((m) => matches(selectorOf(step), m.metadata.labels ?? {})).map((m) => m.kind);
    expect(applied(migrateStep)).toStrictEqual(['Namespace', 'Job', 'ConfigMap']);
    expect(applied(applyStep)).toStrictEqual([
      'Namespace',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'ConfigMap',
    ]);
    // The labels that split them are on the pods' templates too.
    expect(podLabels['app.kubernetes.io/component']).toBe('api');
    expect(job.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('migration');
  });

  it('is never rolled back by the pipeline: a failed migration stops the deploy before the rollout', () => {
    const rollback = deployJob?.steps.find((s) => s.run?.includes('rollout undo') === true);
    expect(rollback?.if).toContain("steps.apply.outcome != 'skipped'");
    expect(deployStep('apply').if).not.toContain('always()');
  });
});

// kustomize itself, where kubectl is installed (the pipeline's runner has it; Debian's is too old to
// know `labels`, so CI machines without it skip this one): the generated ConfigMap's hashed name
// reaches both workloads, and every object lands in the namespace.
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
describe.skipIf(!kubectl)('deploy/kubernetes rendered by kubectl kustomize', () => {
  it('renders every object into the namespace, the workloads on the generated ConfigMap', () => {
    const result = spawnSync('kubectl', ['kustomize', fileURLToPath(DIR)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const objects = parseAllDocuments(result.stdout).map(
      (d) => d.toJS() as Manifest & { metadata: { namespace?: string } },
    );
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    expect(configMap?.metadata.name).toMatch(/^inventory-api-[a-z0-9]{10}$/);
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
      expect([o.kind, o.metadata.namespace]).toStrictEqual([o.kind, 'inventory']);
    }
    for (const kind of ['Deployment', 'Job']) {
      const workload = objects.find((o) => o.kind === kind) as Deployment | undefined;
      expect(workload?.spec.template.spec.containers[0]?.envFrom).toStrictEqual([
        { configMapRef: { name: configMap?.metadata.name } },
      ]);
    }
  });
});
