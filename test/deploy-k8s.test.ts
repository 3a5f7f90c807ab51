/**
 * The Kubernetes manifests in deploy/, read as YAML and checked against the
 * code they deploy: the configuration schema (src/config.ts) for every
 * variable name and value, the routes the server really serves for the probe
 * and ingress paths, the Dockerfile's user, and the measured memory
 * (bench/results.json) for the resources.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SLACK_EVENTS_PATH } from '../adapters/slack/index.js';
import { TEAMS_ROUTE } from '../adapters/teams/index.js';
import { CONFIG_VARIABLES, loadConfig } from '../src/config.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const DEPLOY = join(PROJECT_ROOT, 'deploy');

type Obj = Record<string, unknown>;
interface Manifest {
  file: string;
  kind: string;
  name: string;
  body: Obj;
}

/** Every document of a YAML file; a syntax error or a duplicate key fails the test with the file name. */
function readYaml(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'), { uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  return docs.map((d, i) => {
    if (d.errors.length) throw new Error(`${file}, document ${i + 1}: ${d.errors.map((e) => e.message).join('; ')}`);
    const value = d.toJS() as unknown;
    if (typeof value !== 'object' || value === null) throw new Error(`${file}, document ${i + 1}: not a mapping`);
    return value as Obj;
  });
}

/** Walks a path of keys; throws naming the path when something is missing. */
function at<T = unknown>(obj: unknown, path: string): T {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(key in (cur as Obj))) throw new Error(`missing ${path} (at ${key})`);
    cur = (cur as Obj)[key];
  }
  return cur as T;
}

/** Kubernetes quantities in bytes (Mi, Gi, M, plain). */
function bytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

const MIB = 2 ** 20;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports: { name: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe: { httpGet?: { path: string; port: string | number } };
  livenessProbe: { httpGet?: { path: string; port: string | number } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext?: Obj;
}

const kustomization = readYaml('kustomization.yaml')[0]!;
const resources = at<string[]>(kustomization, 'resources');
const manifests: Manifest[] = resources.flatMap((file) =>
  readYaml(file).map((body) => ({ file, kind: at<string>(body, 'kind'), name: at<string>(body, 'metadata.name'), body })),
);
const one = (kind: string, name?: string): Obj => {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''} in deploy/, found ${found.length}`);
  return found[0]!.body;
};
const examples = readYaml('secrets.example.yaml');

const deployment = one('Deployment', 'vmk');
const podSpec = at<Obj>(deployment, 'spec.template.spec');
const containers = at<Container[]>(podSpec, 'containers');
const vmk = containers.find((c) => c.name === 'vmk')!;
const configMap = one('ConfigMap', 'vmk-config');
const configData = at<Record<string, string>>(configMap, 'data');
const defaults = loadConfig({}, { envFile: null });

describe('deploy/ (Kubernetes)', () => {
  it('lists every manifest in kustomization.yaml, and every one parses', () => {
    const files = readdirSync(DEPLOY).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml' && !f.endsWith('.example.yaml'));
    expect([...resources].sort()).toEqual(files.sort());
    expect(manifests.map((m) => m.kind)).toEqual(
      expect.arrayContaining(['Namespace', 'ConfigMap', 'Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler', 'StatefulSet']),
    );
    for (const m of manifests) expect(at(m.body, 'apiVersion'), `${m.file} ${m.kind}`).toBeTruthy();
  });

  it('names only variables of the configuration schema, and its values pass the schema', () => {
    const names = [...Object.keys(configData), ...(vmk.env ?? []).map((e) => e.name)];
    for (const name of names) expect(CONFIG_VARIABLES, `${name} is not read by vmk (src/config.ts)`).toContain(name);
    expect(new Set(names).size).toBe(names.length);
    expect(vmk.envFrom).toEqual([{ configMapRef: { name: 'vmk-config' } }]);

    // The ConfigMap plus the example Secrets is a configuration vmk accepts: Redis, Slack over HTTP, Teams.
    const secrets = new Map(examples.map((s) => [at<string>(s, 'metadata.name'), at<Record<string, string>>(s, 'stringData')]));
    const env: Record<string, string> = { ...configData };
    for (const e of vmk.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const value = secrets.get(ref.name)?.[ref.key];
      expect(value, `secrets.example.yaml has no key ${ref.key} in ${ref.name}`).toBeDefined();
      env[e.name] = value!;
    }
    const config = loadConfig(env, { envFile: null });
    expect(config.nodeEnv).toBe('production');
    expect(config.log.format).toBe('json');
    expect(config.store.kind).toBe('redis');
    expect(config.slack?.mode).toBe('http');
    expect(config.teams.appId).toBeTruthy();
    expect(config.metrics.enabled).toBe(true);
  });

  it('reads the Slack and Teams credentials from Secrets, never from the ConfigMap', () => {
    const fromSecret = (name: string) => vmk.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'MicrosoftAppId', 'MicrosoftAppPassword', 'REDIS_URL', 'VMK_METRICS_TOKEN']) {
      expect(fromSecret(name), name).toBeDefined();
      expect(Object.keys(configData)).not.toContain(name);
    }
    expect(fromSecret('SLACK_BOT_TOKEN')?.name).toBe('vmk-slack');
    expect(fromSecret('MicrosoftAppPassword')?.name).toBe('vmk-teams');
    // One platform can be left out; the store cannot.
    expect(fromSecret('SLACK_BOT_TOKEN')?.optional).toBe(true);
    expect(fromSecret('MicrosoftAppId')?.optional).toBe(true);
    expect(fromSecret('REDIS_URL')?.optional).toBeUndefined();
    for (const e of vmk.env ?? []) expect(e.value, `${e.name} has a literal value in the Deployment`).toBeUndefined();
  });

  it('listens on the port of the configuration, and the Service and Ingress reach it', () => {
    const port = vmk.ports.find((p) => p.name === 'http');
    expect(port?.containerPort).toBe(defaults.server.port);
    expect(Number(configData.PORT)).toBe(port?.containerPort);
    const service = one('Service', 'vmk');
    expect(at(service, 'spec.selector')).toEqual(at(deployment, 'spec.selector.matchLabels'));
    expect(at(deployment, 'spec.template.metadata.labels')).toMatchObject(at<Obj>(deployment, 'spec.selector.matchLabels'));
    const servicePort = at<{ name: string; port: number; targetPort: string | number }[]>(service, 'spec.ports')[0]!;
    expect([port?.name, port?.containerPort]).toContain(servicePort.targetPort);
    const annotations = at<Record<string, string>>(deployment, 'spec.template.metadata.annotations');
    expect(Number(annotations['prometheus.io/port'])).toBe(defaults.server.port);
    expect(annotations['prometheus.io/path']).toBe('/metrics');
  });

  it('routes exactly the Slack and Teams endpoints through the Ingress', () => {
    const ingress = one('Ingress', 'vmk');
    const rules = at<{ http: { paths: { path: string; pathType: string; backend: { service: { name: string; port: { name?: string; number?: number } } } }[] } }[]>(ingress, 'spec.rules');
    const paths = rules.flatMap((r) => r.http.paths);
    expect(paths.map((p) => p.path).sort()).toEqual([TEAMS_ROUTE, SLACK_EVENTS_PATH].sort());
    const service = one('Service', 'vmk');
    const servicePort = at<{ name: string; port: number }[]>(service, 'spec.ports')[0]!;
    for (const p of paths) {
      expect(p.pathType).toBe('Exact');
      expect(p.backend.service.name).toBe('vmk');
      expect(p.backend.service.port.name ?? p.backend.service.port.number).toBe(p.backend.service.port.name ? servicePort.name : servicePort.port);
    }
  });

  it('probes readiness at /readyz and liveness at /healthz on the container port', () => {
    expect(vmk.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(vmk.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  describe('against a running server', () => {
    let srv: TestServer;
    beforeAll(async () => {
      // Teams is on only when configured: local mode stands in for a registered bot here.
      srv = await startTestServer({ env: { VMK_TEAMS_LOCAL: 'on' } });
    });
    afterAll(async () => {
      await srv?.close();
    });

    it('the probe paths answer 200 once ready, and the Ingress paths are routes the server has', async () => {
      for (const probe of [vmk.readinessProbe, vmk.livenessProbe]) {
        const res = await fetch(`${srv.url}${probe.httpGet!.path}`);
        expect(res.status, probe.httpGet!.path).toBe(200);
      }
      const annotations = at<Record<string, string>>(deployment, 'spec.template.metadata.annotations');
      expect((await fetch(`${srv.url}${annotations['prometheus.io/path']}`)).status).toBe(200);
      // Teams in local mode answers a GET with 405 (POST only): the route exists.
      expect((await fetch(`${srv.url}${TEAMS_ROUTE}`)).status).toBe(405);
    });
  });

  it('sets requests and limits from the measured memory', () => {
    const bench = JSON.parse(readFileSync(join(PROJECT_ROOT, 'bench', 'results.json'), 'utf8')) as {
      memory: { afterStartMiB: number; phases: { rssMiB: number; peakMiB: number }[] };
      http: { vmkRssAfterLoadMiB: number; vmkPeakRssMiB: number };
    };
    const { requests, limits } = vmk.resources;
    const steady = Math.max(bench.memory.afterStartMiB, ...bench.memory.phases.map((p) => p.rssMiB), bench.http.vmkRssAfterLoadMiB);
    const peak = Math.max(bench.http.vmkPeakRssMiB, ...bench.memory.phases.map((p) => p.peakMiB));
    // The request covers what a pod holds after load; the limit the peak with half again to spare,
    // and at least the V8 old-space cap of `npm start` plus what lives outside that heap at start-up.
    expect(bytes(requests.memory!)).toBeGreaterThanOrEqual(steady * MIB);
    expect(bytes(requests.memory!)).toBeLessThan(peak * 1.5 * MIB);
    const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'))?.[1]);
    expect(oldSpace).toBeGreaterThan(0);
    expect(bytes(limits.memory!)).toBeGreaterThanOrEqual(Math.max(peak * 1.5, oldSpace + 100) * MIB);
    expect(requests.cpu).toBeTruthy();
    expect(limits.cpu).toBeTruthy();
  });

  it('runs as the image user, unprivileged, read-only, with the image CMD (its V8 flags)', () => {
    const dockerUser = /^USER\s+(\S+)/m.exec(readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(dockerUser).toBe('node'); // uid 1000 in the official node images
    expect(at(podSpec, 'securityContext.runAsNonRoot')).toBe(true);
    expect(at(podSpec, 'securityContext.runAsUser')).toBe(1000);
    expect(vmk.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(vmk.command).toBeUndefined();
    expect(vmk.args).toBeUndefined();
    // The shutdown grace fits inside the pod's termination grace, after the preStop pause.
    const grace = at<number>(podSpec, 'terminationGracePeriodSeconds');
    const pause = Number(at<string[]>(vmk, 'lifecycle.preStop.exec.command')[1]);
    expect(Number(configData.VMK_SHUTDOWN_GRACE_MS) / 1000 + pause).toBeLessThan(grace);
  });

  it('scales the Deployment with an autoscaler, and several replicas share Redis', () => {
    const hpa = one('HorizontalPodAutoscaler', 'vmk');
    expect(at(hpa, 'spec.scaleTargetRef')).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'vmk' });
    const min = at<number>(hpa, 'spec.minReplicas');
    expect(at<number>(hpa, 'spec.maxReplicas')).toBeGreaterThan(min);
    expect(Math.max(min, at<number>(deployment, 'spec.replicas'))).toBeGreaterThan(1);
    // More than one replica: SQLite (one file on one host) will not do.
    expect(configData.VMK_STORE).toBe('redis');

    const redis = one('StatefulSet', 'vmk-redis');
    const redisService = one('Service', at<string>(redis, 'spec.serviceName'));
    expect(at(redisService, 'spec.selector')).toEqual(at(redis, 'spec.selector.matchLabels'));
    const redisPort = at<{ port: number }[]>(redisService, 'spec.ports')[0]!.port;
    expect(at(redis, 'spec.volumeClaimTemplates')).toBeTruthy();

    // The URL the example Secret gives vmk points at that Service and port, with the password Redis is started with.
    const secret = examples.find((s) => at(s, 'metadata.name') === 'vmk-redis')!;
    const url = new URL(at<string>(secret, 'stringData.url'));
    expect(url.hostname).toBe(at(redisService, 'metadata.name'));
    expect(Number(url.port)).toBe(redisPort);
    expect(decodeURIComponent(url.password)).toBe(at(secret, 'stringData.password'));
    const redisContainer = at<{ args: string[]; env: EnvVar[] }[]>(redis, 'spec.template.spec.containers')[0]!;
    expect(redisContainer.args.slice(0, 2)).toEqual(['--requirepass', '$(REDIS_PASSWORD)']);
    expect(redisContainer.env.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'vmk-redis', key: 'password' });
  });
});
