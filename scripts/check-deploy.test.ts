import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeSettings } from '@laurel/core';
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
  composeVariables,
  envFileEntries,
  mergeValues,
  parseCompose,
} from './check-deploy-checks.ts';
import { DEPLOY_SCRIPTS, composeCommands, composeConfig, installed } from './check-deploy.ts';

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of docker/ and helm/ to break on purpose. */
function copy(): string {
  const root = mkdtempSync(join(tmpdir(), 'laurel-deploy-test-'));
  copies.push(root);
  cpSync(join(ROOT, 'docker'), join(root, 'docker'), { recursive: true });
  cpSync(join(ROOT, 'helm'), join(root, 'helm'), { recursive: true });
  return root;
}
function edit(root: string, path: string, change: (text: string) => string): void {
  const file = join(root, path);
  writeFileSync(file, change(readFileSync(file, 'utf8')));
}

describe('Docker image', () => {
  it('is multi-stage on node:24-slim, pruned to production dependencies, non-root, with a healthcheck, OCI labels and the three roles', () => {
    expect(checkDockerfile()).toEqual([]);
  });

  it('catches a root user, a missing healthcheck and a missing role', () => {
    const root = copy();
    edit(root, 'docker/Dockerfile', (t) => t.replace('USER 10001:10001', 'USER root').replace(/^HEALTHCHECK .*$/m, ''));
    edit(root, 'docker/entrypoint.sh', (t) => t.replace('  worker | migrate)', '  migrate)'));
    expect(checkDockerfile(root)).toEqual([
      'docker/Dockerfile: the final stage must switch to a numeric non-root USER (got root)',
      'docker/Dockerfile: no HEALTHCHECK',
      'docker/entrypoint.sh: no case for worker',
    ]);
  });

  /** docker/entrypoint.sh run against this checkout's CLI instead of the image's /app. */
  function entrypoint(args: string[], env: Record<string, string> = {}): { status: number | null; out: string; err: string } {
    const r = spawnSync('sh', [join(ROOT, 'docker/entrypoint.sh'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LAUREL_CLI: join(ROOT, 'packages/cli/src/bin.ts'), ...env },
    });
    return { status: r.status, out: r.stdout, err: r.stderr };
  }

  it('has an entrypoint that prints the URL to open before the server starts, and passes other commands to the CLI', () => {
    const server = entrypoint(['server'], { LAUREL_PUBLIC_URL: 'https://loyalty.example.com' });
    expect(server.out).toContain('open https://loyalty.example.com (readiness: https://loyalty.example.com/health/ready)');
    expect(server.status).toBe(1);
    expect(server.err.trim()).toBe('laurel: configuration error: DATABASE_URL: is required; expects a PostgreSQL URL such as postgres://laurel:secret@localhost:5432/laurel');
    const config = entrypoint(['config']);
    expect(config.status).toBe(0);
    expect(config.out).toContain('DATABASE_URL');
    // Two CLI starts: seconds on a busy 2-core machine.
  }, 60_000);
});

describe('Compose stack', () => {
  it('references only its own services, official images, files in the repository and variables of .env.example', () => {
    expect(checkCompose()).toEqual([]);
  });

  it('uses only official postgres and temporalio/* images besides the one it builds from docker/Dockerfile', () => {
    const { services } = parseCompose();
    const images = Object.values(services).filter((s) => !s.build).map((s) => s.image);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/^(postgres|temporalio\/(server|admin-tools|ui)):\$\{/);
    expect(Object.values(services).filter((s) => s.build).map((s) => s.command)).toEqual(expect.arrayContaining([['migrate'], ['server'], ['worker']]));
  });

  it('documents every variable it uses in .env.example, with a comment, and mentions every Laurel setting', () => {
    const used = composeVariables(readFileSync(join(ROOT, COMPOSE_FILE), 'utf8'));
    const documented = envFileEntries(readFileSync(join(ROOT, ENV_EXAMPLE), 'utf8'));
    for (const name of used) expect(documented.has(name), name).toBe(true);
    expect(checkEnvExample()).toEqual([]);
    const required = describeSettings().filter((s) => s.required).map((s) => s.env);
    expect(required).toContain('DATABASE_URL');
  });

  it('catches an unofficial image, an undocumented variable, a missing service and a missing file', () => {
    const root = copy();
    edit(root, COMPOSE_FILE, (t) =>
      t
        .replace('image: temporalio/ui:${TEMPORAL_UI_VERSION:-2.34.0}', 'image: someone/temporal-ui:latest')
        .replace('LOG_LEVEL: ${LOG_LEVEL:-info}', 'LOG_LEVEL: ${LAUREL_LOUDNESS:-info}')
        .replace('      postgres:\n        condition: service_healthy\n    environment:\n      POSTGRES_SEEDS', '      database:\n        condition: service_healthy\n    environment:\n      POSTGRES_SEEDS')
        .replace('./temporal/setup.sh:/laurel/temporal-setup.sh:ro', './temporal/missing.sh:/laurel/temporal-setup.sh:ro'),
    );
    const problems = checkCompose(root).join('\n');
    expect(problems).toContain('image someone/temporal-ui:latest is neither built from this repository nor an official');
    expect(problems).toContain('uses ${LAUREL_LOUDNESS}, which docker/.env.example does not list');
    expect(problems).toContain('depends on database, which is not a service');
    expect(problems).toContain('mounts ./temporal/missing.sh, which is not in the repository');
  });

  it('catches a server that does not wait for the migrations', () => {
    const root = copy();
    edit(root, COMPOSE_FILE, (t) => t.replace(/( {2}server:[\s\S]*?migrate:\n\s+condition: )service_completed_successfully/, '$1service_started'));
    expect(checkCompose(root)).toEqual(['docker/compose.yaml: server must depend on migrate with condition service_completed_successfully']);
  });

  const composes = composeCommands();
  it.skipIf(composes.length === 0)('is accepted by `compose config` with a filled .env and refused without passwords (skipped when neither docker compose nor docker-compose is installed)', () => {
    for (const compose of composes) expect(composeConfig(compose), compose.name).toEqual([]);
  });

  it.skipIf(!installed('shellcheck'))('has shell scripts that pass shellcheck (skipped when shellcheck is not installed)', () => {
    const r = spawnSync('shellcheck', DEPLOY_SCRIPTS, { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('Helm chart', () => {
  it('has values.yaml and the production-like values valid against values.schema.json', () => {
    expect(checkChartValues()).toEqual([]);
  });

  it('refuses values that weaken the security context or misspell a key', () => {
    const root = copy();
    writeFileSync(join(root, PRODUCTION_VALUES), 'securityContext:\n  readOnlyRootFilesystem: false\npodSecurityContext:\n  runAsNonRoot: false\nserver:\n  replicas: 3\n');
    const problems = checkChartValues(root).join('\n');
    expect(problems).toContain('/securityContext/readOnlyRootFilesystem must be equal to constant');
    expect(problems).toContain('/podSecurityContext/runAsNonRoot must be equal to constant');
    expect(problems).toContain('/server must NOT have additional properties (replicas)');
  });

  it('merges values the way Helm does (maps by key, lists replaced, null removes)', () => {
    expect(mergeValues({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null })).toEqual({ a: { b: 1, c: [3] } });
  });

  it('has every object, probe and security setting its templates must have', () => {
    expect(checkChartTemplates()).toEqual([]);
  });

  it('lets every Laurel setting be set, and the required ones through the Secret', () => {
    const secret = readFileSync(join(ROOT, CHART_DIR, 'templates/secret.yaml'), 'utf8');
    for (const s of describeSettings().filter((x) => x.required)) expect(secret).toContain(s.env);
  });

  it('catches a missing PodDisruptionBudget, a migration Job that is not a hook and an unclosed block', () => {
    const root = copy();
    rmSync(join(root, CHART_DIR, 'templates/pdb.yaml'));
    edit(root, `${CHART_DIR}/templates/job-migrate.yaml`, (t) => t.replaceAll('helm.sh/hook: pre-install,pre-upgrade', 'helm.sh/hook: post-install'));
    edit(root, `${CHART_DIR}/templates/hpa.yaml`, (t) => t.replace(/\{\{- end \}\}\s*$/, ''));
    const problems = checkChartTemplates(root);
    expect(problems).toContain('helm/laurel/templates: no a PodDisruptionBudget');
    expect(problems).toContain('helm/laurel/templates: no a migration Job as a pre-install and pre-upgrade hook (args: ["migrate"])');
    expect(problems.join('\n')).toMatch(/templates\/hpa\.yaml: \d+ if\/with\/range\/define blocks but \d+ ends/);
  });

  it('catches a server without probes and a pod without the security context', () => {
    const root = copy();
    edit(root, `${CHART_DIR}/templates/deployment-server.yaml`, (t) => t.replace(/\s+readinessProbe:\n.*\n/, '\n'));
    edit(root, `${CHART_DIR}/templates/deployment-worker.yaml`, (t) => t.replace(/\s+securityContext:\n\s+\{\{- toYaml \.Values\.securityContext .*\n/, '\n'));
    const problems = checkChartTemplates(root);
    expect(problems).toContain('helm/laurel/templates: the server Deployment has no readinessProbe');
    expect(problems).toContain('helm/laurel/templates: worker containers do not use .Values.securityContext');
  });
});
