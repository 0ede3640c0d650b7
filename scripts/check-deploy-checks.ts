/**
 * The deployment checks that need no Docker engine, helm or kubeconform: the Compose stack, its `.env.example`,
 * and the Helm chart (values against values.schema.json, templates parsed as text). Each check returns a list of
 * problems, one line each; an empty list is a pass. `pnpm check:deploy` runs them beside the external tools that
 * are installed, and `scripts/check-deploy.test.ts` runs them in `pnpm test`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { describeSettings } from '@laurel/core';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const COMPOSE_FILE = 'docker/compose.yaml';
export const ENV_EXAMPLE = 'docker/.env.example';
export const CHART_DIR = 'helm/laurel';
export const PRODUCTION_VALUES = 'helm/laurel/ci/production-values.yaml';

/** Images a Compose file may name besides Laurel's own: official images only. */
const OFFICIAL_IMAGES = [/^postgres:[\w.-]+$/, /^temporalio\/(server|admin-tools|ui|auto-setup):[\w.-]+$/];
/** Variables Compose itself reads from .env, not interpolated in the file. */
const COMPOSE_OWN_VARIABLES = new Set(['COMPOSE_PROJECT_NAME']);
/** Laurel's environment variables read outside the configuration schema. */
export const EXTRA_LAUREL_VARIABLES = ['LAUREL_CONFIG', 'LAUREL_PLUGINS', 'LAUREL_PLUGINS_DISABLED'];
/** The roles docker/entrypoint.sh runs. */
const LAUREL_ROLES = ['server', 'worker', 'migrate'];

function read(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  command?: string[] | string;
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: string[];
  environment?: Record<string, unknown> | string[];
}

export function parseCompose(root = ROOT): { services: Record<string, ComposeService>; volumes: Record<string, unknown> } {
  const doc = YAML.parse(read(root, COMPOSE_FILE), { merge: true }) as { services?: Record<string, ComposeService>; volumes?: Record<string, unknown> };
  return { services: doc.services ?? {}, volumes: doc.volumes ?? {} };
}

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}` … in a Compose file, by name. */
export function composeVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+][^}]*)?\}/g)) names.add(m[1]!);
  return names;
}

/** Replace `${NAME:-default}` by its default (or by `values[NAME]`) — enough to read image names. */
export function interpolate(text: string, values: Record<string, string> = {}): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => values[name] ?? fallback ?? '');
}

/** `NAME=value` lines of an env file. */
export function envFileEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) entries.set(m[1]!, m[2]!);
  }
  return entries;
}

/** What the image must be, read from the Dockerfile as text (hadolint, where installed, checks the rest). */
export function checkDockerfile(root = ROOT): string[] {
  const problems: string[] = [];
  const text = read(root, 'docker/Dockerfile');
  const stages = [...text.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)];
  const where = 'docker/Dockerfile';
  if (stages.length < 2) problems.push(`${where}: not a multi-stage build`);
  const base = /^ARG NODE_IMAGE=(\S+)/m.exec(text)?.[1];
  if (!base || !/^node:24(\.[\d.]+)?-(slim|bookworm-slim)$/.test(base)) problems.push(`${where}: the base is not node:24-slim (got ${base ?? 'none'})`);
  const last = text.slice(stages.at(-1)?.index ?? 0);
  const user = /^USER\s+(\S+)/m.exec(last)?.[1];
  if (!user || !/^[1-9]\d*(:\d+)?$/.test(user)) problems.push(`${where}: the final stage must switch to a numeric non-root USER (got ${user ?? 'none'})`);
  if (!/^HEALTHCHECK\b/m.test(last)) problems.push(`${where}: no HEALTHCHECK`);
  if (!/^ENTRYPOINT\s+\["[^"]*laurel-entrypoint"\]/m.test(last)) problems.push(`${where}: the entrypoint is not docker/entrypoint.sh`);
  for (const label of ['title', 'description', 'licenses', 'source', 'version', 'revision', 'created']) {
    if (!text.includes(`org.opencontainers.image.${label}=`)) problems.push(`${where}: no OCI label org.opencontainers.image.${label}`);
  }
  if (/:latest\b/.test(text)) problems.push(`${where}: uses a :latest tag`);
  if (!/pnpm install[^\n]*--frozen-lockfile/.test(text)) problems.push(`${where}: installs without --frozen-lockfile`);
  if (!/--prod\b/.test(text)) problems.push(`${where}: does not prune to production dependencies`);
  const entrypoint = read(root, 'docker/entrypoint.sh');
  for (const role of LAUREL_ROLES) if (!new RegExp(`^\\s*[^#\\n]*\\b${role}\\b[^\\n]*\\)`, 'm').test(entrypoint)) problems.push(`docker/entrypoint.sh: no case for ${role}`);
  if (!entrypoint.includes('/health/live')) problems.push('docker/entrypoint.sh: the healthcheck does not ask /health/live');
  return problems;
}

/** The Compose file references only services, images, files and variables that exist. */
export function checkCompose(root = ROOT): string[] {
  const problems: string[] = [];
  const text = read(root, COMPOSE_FILE);
  const { services, volumes } = parseCompose(root);
  const composeDir = dirname(join(root, COMPOSE_FILE));
  const env = envFileEntries(read(root, ENV_EXAMPLE));
  const defaults = Object.fromEntries([...env].filter(([, v]) => v !== ''));

  for (const [name, service] of Object.entries(services)) {
    const where = `${COMPOSE_FILE}: service ${name}`;
    if (service.build !== undefined) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      const context = resolve(composeDir, build.context ?? '.');
      const dockerfile = join(context, build.dockerfile ?? 'Dockerfile');
      if (!existsSync(dockerfile)) problems.push(`${where}: builds from ${dockerfile}, which does not exist`);
    } else {
      const image = interpolate(service.image ?? '', defaults);
      if (!image) problems.push(`${where}: has neither image nor build`);
      else if (!OFFICIAL_IMAGES.some((re) => re.test(image))) problems.push(`${where}: image ${image} is neither built from this repository nor an official postgres or temporalio/* image`);
    }
    const deps: Record<string, { condition?: string }> = Array.isArray(service.depends_on)
      ? Object.fromEntries(service.depends_on.map((d) => [d, {}]))
      : (service.depends_on ?? {});
    for (const [dep, rule] of Object.entries(deps)) {
      if (!services[dep]) problems.push(`${where}: depends on ${dep}, which is not a service`);
      if (rule.condition && !['service_started', 'service_healthy', 'service_completed_successfully'].includes(rule.condition)) {
        problems.push(`${where}: depends on ${dep} with unknown condition ${rule.condition}`);
      }
    }
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('.') || source.startsWith('/')) {
        if (!existsSync(resolve(composeDir, source))) problems.push(`${where}: mounts ${source}, which is not in the repository`);
      } else if (!(source in volumes)) {
        problems.push(`${where}: mounts the volume ${source}, which is not declared under volumes`);
      }
    }
  }

  // Laurel's own services: one image, the three roles, migrations before the server and the worker.
  const laurel = Object.entries(services).filter(([, s]) => s.build !== undefined);
  const roleOf = (s: ComposeService): string => (Array.isArray(s.command) ? s.command[0]! : (s.command ?? 'server').split(' ')[0]!);
  const roles = new Map(laurel.map(([name, s]) => [roleOf(s), name]));
  for (const role of LAUREL_ROLES) if (!roles.has(role)) problems.push(`${COMPOSE_FILE}: no Laurel service runs "${role}"`);
  for (const [name, s] of laurel) {
    if (!LAUREL_ROLES.includes(roleOf(s))) problems.push(`${COMPOSE_FILE}: service ${name} runs "${roleOf(s)}", not one of ${LAUREL_ROLES.join(', ')}`);
  }
  const migrate = roles.get('migrate');
  for (const role of ['server', 'worker']) {
    const name = roles.get(role);
    if (!name || !migrate) continue;
    const deps = services[name]!.depends_on;
    const rule = deps && !Array.isArray(deps) ? deps[migrate] : undefined;
    if (rule?.condition !== 'service_completed_successfully') problems.push(`${COMPOSE_FILE}: ${name} must depend on ${migrate} with condition service_completed_successfully`);
  }

  // Variables: each one used is set in .env.example, and each one there is used.
  const used = composeVariables(text);
  for (const name of used) if (!env.has(name)) problems.push(`${COMPOSE_FILE}: uses \${${name}}, which ${ENV_EXAMPLE} does not list`);
  for (const name of env.keys()) if (!used.has(name) && !COMPOSE_OWN_VARIABLES.has(name)) problems.push(`${ENV_EXAMPLE}: ${name} is not used by ${COMPOSE_FILE}`);

  // Laurel's environment: the required settings are set.
  for (const [name, s] of laurel) {
    const environment = Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => e.split('='))) : (s.environment ?? {});
    for (const setting of describeSettings().filter((x) => x.required)) {
      if (!environment[setting.env]) problems.push(`${COMPOSE_FILE}: service ${name} does not set the required ${setting.env}`);
    }
  }
  return problems;
}

/** Every variable in .env.example is explained by a comment; every Laurel setting is mentioned. */
export function checkEnvExample(root = ROOT): string[] {
  const problems: string[] = [];
  const text = read(root, ENV_EXAMPLE);
  const comments = text.split('\n').filter((l) => l.trim().startsWith('#')).join('\n');
  for (const name of envFileEntries(text).keys()) {
    if (!new RegExp(`\\b${name}\\b`).test(comments)) problems.push(`${ENV_EXAMPLE}: ${name} has no comment saying what it is`);
  }
  for (const s of describeSettings()) {
    if (!new RegExp(`\\b${s.env}\\b`).test(text)) problems.push(`${ENV_EXAMPLE}: does not mention the setting ${s.env}`);
  }
  return problems;
}

/** Helm's merge of values: maps merge key by key, anything else replaces, null removes. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isMap(base) || !isMap(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else out[k] = mergeValues(base[k], v);
  }
  return out;
}
function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** values.yaml, and values.yaml merged with each given file, validate against values.schema.json. */
export function checkChartValues(root = ROOT, overrides: string[] = [PRODUCTION_VALUES]): string[] {
  const problems: string[] = [];
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(read(root, `${CHART_DIR}/values.schema.json`)) as object);
  const defaults = YAML.parse(read(root, `${CHART_DIR}/values.yaml`)) as unknown;
  const sets: [string, unknown][] = [[`${CHART_DIR}/values.yaml`, defaults]];
  for (const file of overrides) sets.push([`${CHART_DIR}/values.yaml + ${file}`, mergeValues(defaults, YAML.parse(read(root, file)) as unknown)]);
  for (const [name, values] of sets) {
    if (!validate(values)) {
      for (const e of validate.errors ?? []) problems.push(`${name}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
    }
  }
  return problems;
}

/** A template's text without `{{/* … *\/}}` comments. */
function stripTemplateComments(text: string): string {
  return text.replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, '');
}

/** What the chart must contain, found by reading its templates as text. */
const REQUIRED_OBJECTS: { what: string; test: (docs: string[]) => boolean }[] = [
  { what: 'a server Deployment (args: ["server"])', test: (d) => d.some((t) => /^kind:\s*Deployment\s*$/m.test(t) && /args:\s*\["server"\]/.test(t)) },
  { what: 'a worker Deployment (args: ["worker"])', test: (d) => d.some((t) => /^kind:\s*Deployment\s*$/m.test(t) && /args:\s*\["worker"\]/.test(t)) },
  { what: 'a Service', test: (d) => d.some((t) => /^kind:\s*Service\s*$/m.test(t)) },
  { what: 'an Ingress', test: (d) => d.some((t) => /^kind:\s*Ingress\s*$/m.test(t)) },
  { what: 'a HorizontalPodAutoscaler', test: (d) => d.some((t) => /^kind:\s*HorizontalPodAutoscaler\s*$/m.test(t)) },
  { what: 'a PodDisruptionBudget', test: (d) => d.some((t) => /^kind:\s*PodDisruptionBudget\s*$/m.test(t)) },
  { what: 'a NetworkPolicy', test: (d) => d.some((t) => /^kind:\s*NetworkPolicy\s*$/m.test(t)) },
  {
    what: 'a migration Job as a pre-install and pre-upgrade hook (args: ["migrate"])',
    test: (d) => d.some((t) => /^kind:\s*Job\s*$/m.test(t) && /helm\.sh\/hook:\s*["']?[^\n]*pre-install/.test(t) && /helm\.sh\/hook:\s*["']?[^\n]*pre-upgrade/.test(t) && /args:\s*\["migrate"\]/.test(t)),
  },
  { what: 'a ConfigMap', test: (d) => d.some((t) => /^kind:\s*ConfigMap\s*$/m.test(t)) },
  { what: 'a Secret (unless secrets.existingSecret)', test: (d) => d.some((t) => /^kind:\s*Secret\s*$/m.test(t) && /existingSecret/.test(t)) },
  { what: 'a ServiceAccount', test: (d) => d.some((t) => /^kind:\s*ServiceAccount\s*$/m.test(t)) },
  { what: 'a ServiceMonitor (optional)', test: (d) => d.some((t) => /^kind:\s*ServiceMonitor\s*$/m.test(t) && /serviceMonitor\.enabled/.test(t)) },
];

/** The chart's files and objects, probes and security contexts, and every Laurel setting reachable. */
export function checkChartTemplates(root = ROOT, chartDir = CHART_DIR): string[] {
  const problems: string[] = [];
  for (const file of ['Chart.yaml', 'values.yaml', 'values.schema.json', 'README.md', 'templates/NOTES.txt', 'templates/_helpers.tpl']) {
    if (!existsSync(join(root, chartDir, file))) problems.push(`${chartDir}/${file}: missing`);
  }
  if (problems.length > 0) return problems;
  const chart = YAML.parse(read(root, `${chartDir}/Chart.yaml`)) as Record<string, unknown>;
  if (chart.apiVersion !== 'v2') problems.push(`${chartDir}/Chart.yaml: apiVersion must be v2`);
  if (typeof chart.version !== 'string' || !/^\d+\.\d+\.\d+/.test(chart.version)) problems.push(`${chartDir}/Chart.yaml: version must be semver`);

  const dir = join(root, chartDir, 'templates');
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|tpl)$/.test(f));
  const texts = new Map(files.map((f) => [f, stripTemplateComments(readFileSync(join(dir, f), 'utf8'))]));
  for (const [file, text] of texts) {
    const opens = (text.match(/\{\{-?\s*(if|with|range|define)\b/g) ?? []).length;
    const ends = (text.match(/\{\{-?\s*end\s*-?\}\}/g) ?? []).length;
    if (opens !== ends) problems.push(`${chartDir}/templates/${file}: ${opens} if/with/range/define blocks but ${ends} ends`);
    if ((text.match(/\{\{/g) ?? []).length !== (text.match(/\}\}/g) ?? []).length) problems.push(`${chartDir}/templates/${file}: unbalanced {{ }}`);
  }
  const docs = [...texts.entries()].filter(([f]) => !f.endsWith('.tpl')).flatMap(([, t]) => t.split(/^---\s*$/m));
  for (const object of REQUIRED_OBJECTS) if (!object.test(docs)) problems.push(`${chartDir}/templates: no ${object.what}`);

  const server = docs.find((t) => /^kind:\s*Deployment\s*$/m.test(t) && /args:\s*\["server"\]/.test(t)) ?? '';
  for (const probe of ['livenessProbe', 'readinessProbe']) if (!server.includes(probe)) problems.push(`${chartDir}/templates: the server Deployment has no ${probe}`);
  const values = read(root, `${chartDir}/values.yaml`);
  for (const path of ['/health/live', '/health/ready']) if (!values.includes(`path: ${path}`)) problems.push(`${chartDir}/values.yaml: no probe on ${path}`);
  for (const text of docs.filter((t) => /^kind:\s*(Deployment|Job)\s*$/m.test(t))) {
    const name = /args:\s*\["(\w+)"\]/.exec(text)?.[1] ?? 'a pod';
    if (!text.includes('.Values.podSecurityContext')) problems.push(`${chartDir}/templates: ${name} pods do not use .Values.podSecurityContext`);
    if (!text.includes('.Values.securityContext')) problems.push(`${chartDir}/templates: ${name} containers do not use .Values.securityContext`);
    if (!/mountPath:\s*\/tmp/.test(text) && !text.includes('laurel.volumeMounts')) problems.push(`${chartDir}/templates: ${name} has no writable /tmp for a read-only root filesystem`);
    if (!/resources:/.test(text)) problems.push(`${chartDir}/templates: ${name} sets no resources`);
  }
  const all = [...texts.values()].join('\n');
  for (const s of describeSettings()) if (!new RegExp(`\\b${s.env}\\b`).test(all)) problems.push(`${chartDir}/templates: the setting ${s.env} cannot be set`);
  return problems;
}
