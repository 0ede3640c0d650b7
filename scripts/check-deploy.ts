/**
 * `pnpm check:deploy`: check the Docker image, the Compose stack and the Helm chart with whatever this machine
 * has. Always: the Compose file and .env.example, the chart's values against values.schema.json, the chart's
 * templates read as text. Where installed: `docker compose config` / `docker-compose config`, shellcheck,
 * hadolint, `helm lint`, `helm template | kubeconform`. A tool that is missing is reported by name as skipped;
 * exits 1 when a check fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHART_DIR,
  COMPOSE_FILE,
  ENV_EXAMPLE,
  PRODUCTION_VALUES,
  ROOT,
  checkChartTemplates,
  checkChartValues,
  checkCompose,
  checkDockerfile,
  checkEnvExample,
} from './check-deploy-checks.ts';

export type Outcome = { status: 'ok' | 'fail' | 'skipped'; name: string; detail: string[] };

/** Shell scripts of the deployment, for shellcheck. */
export const DEPLOY_SCRIPTS = ['docker/entrypoint.sh', 'docker/postgres/init-databases.sh', 'docker/temporal/setup.sh'];

function run(cmd: string, args: string[], input?: string): { ok: boolean; output: string; missing: boolean } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 32 * 1024 * 1024 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(), missing };
}

export function installed(cmd: string, versionArgs: string[] = ['--version']): boolean {
  return !run(cmd, versionArgs).missing;
}

/** The Compose CLIs on this machine: the `docker compose` plugin and Debian's docker-compose (v1). */
export function composeCommands(): { name: string; cmd: string; args: string[] }[] {
  const found: { name: string; cmd: string; args: string[] }[] = [];
  if (run('docker', ['compose', 'version']).ok) found.push({ name: 'docker compose', cmd: 'docker', args: ['compose'] });
  if (installed('docker-compose')) found.push({ name: 'docker-compose', cmd: 'docker-compose', args: [] });
  return found;
}

/** .env.example with throwaway passwords filled in: what a user's docker/.env looks like. */
export function filledEnvFile(dir: string): string {
  const text = readFileSync(join(ROOT, ENV_EXAMPLE), 'utf8').replace(/^(POSTGRES_PASSWORD|LAUREL_DB_PASSWORD|TEMPORAL_DB_PASSWORD)=$/gm, '$1=check-deploy-secret');
  const file = join(dir, 'env');
  writeFileSync(file, text);
  return file;
}

/** `config` of the Compose file by one CLI: valid with a filled .env, refused (naming the variable) without passwords. */
export function composeConfig(compose: { cmd: string; args: string[] }): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-check-deploy-'));
  try {
    const problems: string[] = [];
    const filled = run(compose.cmd, [...compose.args, '-f', COMPOSE_FILE, '--env-file', filledEnvFile(dir), 'config']);
    if (!filled.ok) problems.push(`config with a filled .env fails: ${filled.output.split('\n').slice(0, 5).join(' / ')}`);
    const bare = run(compose.cmd, [...compose.args, '-f', COMPOSE_FILE, '--env-file', ENV_EXAMPLE, 'config']);
    if (bare.ok || !/POSTGRES_PASSWORD|LAUREL_DB_PASSWORD|TEMPORAL_DB_PASSWORD/.test(bare.output)) {
      problems.push('config without passwords should be refused, naming the missing password variable');
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runDeployChecks(): Outcome[] {
  const outcomes: Outcome[] = [];
  const check = (name: string, problems: string[]): void => {
    outcomes.push({ status: problems.length === 0 ? 'ok' : 'fail', name, detail: problems });
  };
  const skip = (name: string, why: string): void => {
    outcomes.push({ status: 'skipped', name, detail: [why] });
  };

  check('docker/Dockerfile and entrypoint.sh: multi-stage on node:24-slim, production dependencies, numeric non-root user, healthcheck, OCI labels, the three roles', checkDockerfile());
  check(`${COMPOSE_FILE}: services, images, mounts and variables`, checkCompose());
  check(`${ENV_EXAMPLE}: every variable explained, every Laurel setting mentioned`, checkEnvExample());
  check(`${CHART_DIR}: values.yaml and ${PRODUCTION_VALUES} against values.schema.json (ajv)`, checkChartValues());
  check(`${CHART_DIR}: templates (server and worker Deployments, Service, Ingress, HPA, PDB, migration Job hook, ConfigMap, Secret, ServiceAccount, ServiceMonitor, NetworkPolicy, probes, security contexts)`, checkChartTemplates());

  const composes = composeCommands();
  if (composes.length === 0) skip('docker compose config', 'neither docker compose nor docker-compose is installed');
  for (const compose of composes) check(`${compose.name} config`, composeConfig(compose));
  if (!composes.some((c) => c.name === 'docker compose')) skip('docker compose config (v2 plugin)', 'not installed (the docker compose plugin)');

  if (installed('shellcheck')) {
    const r = run('shellcheck', DEPLOY_SCRIPTS);
    check(`shellcheck ${DEPLOY_SCRIPTS.join(' ')}`, r.ok ? [] : r.output.split('\n'));
  } else skip('shellcheck', 'not installed');

  if (installed('hadolint')) {
    const r = run('hadolint', ['docker/Dockerfile']);
    check('hadolint docker/Dockerfile', r.ok ? [] : r.output.split('\n'));
  } else skip('hadolint docker/Dockerfile', 'not installed');

  if (installed('helm', ['version'])) {
    const lint = run('helm', ['lint', '--strict', CHART_DIR, '-f', PRODUCTION_VALUES, '--set', 'secrets.databaseUrl=postgres://laurel@db/laurel']);
    check('helm lint', lint.ok ? [] : lint.output.split('\n'));
    if (installed('kubeconform', ['-v'])) {
      for (const values of [[], ['-f', PRODUCTION_VALUES]]) {
        const rendered = run('helm', ['template', 'laurel', CHART_DIR, ...values, '--set', 'secrets.databaseUrl=postgres://laurel@db/laurel', '--set', 'temporal.address=temporal:7233']);
        if (!rendered.ok) {
          check(`helm template ${values.join(' ')}`, rendered.output.split('\n'));
          continue;
        }
        const r = run('kubeconform', ['-strict', '-summary', '-ignore-missing-schemas', '-'], rendered.output);
        check(`helm template ${values.join(' ') || '(defaults)'} | kubeconform`, r.ok ? [] : r.output.split('\n'));
      }
    } else skip('helm template | kubeconform', 'kubeconform not installed');
  } else {
    skip('helm lint', 'helm not installed');
    skip('helm template | kubeconform', 'helm not installed');
  }
  return outcomes;
}

if (import.meta.main) {
  const outcomes = runDeployChecks();
  for (const o of outcomes) {
    const label = o.status === 'ok' ? 'ok     ' : o.status === 'fail' ? 'FAIL   ' : 'skipped';
    console.log(`${label} ${o.name}${o.status === 'skipped' ? `: ${o.detail[0]}` : ''}`);
    if (o.status === 'fail') for (const line of o.detail) console.log(`          ${line}`);
  }
  const failed = outcomes.filter((o) => o.status === 'fail').length;
  const skipped = outcomes.filter((o) => o.status === 'skipped').map((o) => o.name);
  console.log(`\ncheck:deploy: ${outcomes.length - failed - skipped.length} ok, ${failed} failed, ${skipped.length} skipped${skipped.length ? ` (${skipped.join('; ')})` : ''}`);
  process.exitCode = failed === 0 ? 0 : 1;
}
