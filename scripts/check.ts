/**
 * `pnpm check`: the gates CI runs before the tests. tsc --noEmit, ESLint with zero warnings, svelte-check,
 * the locale check and the module-boundary check. Prints each gate's outcome; exits 1 if any fails.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkBoundaries } from './check-boundaries.ts';
import { checkLocales } from './check-locales.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const results: { gate: string; ok: boolean; ms: number }[] = [];

function gate(name: string, run: () => boolean): void {
  const started = performance.now();
  console.log(`\n== ${name}`);
  const ok = run();
  results.push({ gate: name, ok, ms: Math.round(performance.now() - started) });
}

function command(cmd: string, args: string[], cwd = root): boolean {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  return r.status === 0;
}

gate('tsc --noEmit', () => command('pnpm', ['exec', 'tsc', '-p', 'tsconfig.json']));
gate('eslint (zero warnings)', () => command('pnpm', ['exec', 'eslint', '--max-warnings', '0', '.']));
gate('svelte-check', () => command('pnpm', ['--filter', '@laurel/web', 'check']));
gate('locales (en, pl, ru)', () => {
  const problems = checkLocales(root);
  for (const p of problems) console.log(`  ${p}`);
  return problems.length === 0;
});
gate('module boundaries', () => {
  const problems = checkBoundaries(root);
  for (const p of problems) console.log(`  ${p}`);
  return problems.length === 0;
});

console.log('\n' + results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.gate} (${r.ms} ms)`).join('\n'));
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
