/**
 * Module-boundary check: a package is used only through its declared exports, never through another
 * package's internals; every file of a plugin (plugins/<name>/**, not only src) imports only @laurel/plugin-sdk
 * of Laurel's packages — its tests also @laurel/testing, the harness — and nothing by a relative path outside its
 * own package; a core module reaches another only through
 * its index.ts; workflow code imports only @temporalio/workflow, its own files and types; the web app
 * talks to the server over HTTP only.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;
/** What a plugin may import of Laurel's own packages; its tests also the harness. */
const PLUGIN_ALLOWED = ['@laurel/plugin-sdk'];
const PLUGIN_TEST_ALLOWED = ['@laurel/plugin-sdk', '@laurel/testing'];

function walk(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'build') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|mts|cts|js|mjs|cjs|svelte)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

interface Pkg {
  name: string;
  dir: string;
  exports: string[];
}

function packages(root: string): Pkg[] {
  const dirs = [...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d))];
  try {
    dirs.push(...readdirSync(join(root, 'plugins')).map((d) => join(root, 'plugins', d)));
  } catch {
    // no plugins yet
  }
  dirs.push(join(root, 'web'));
  return dirs
    .filter((d) => {
      try {
        return statSync(join(d, 'package.json')).isFile();
      } catch {
        return false;
      }
    })
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, string> | string };
      const exports = typeof pkg.exports === 'string' ? ['.'] : Object.keys(pkg.exports ?? {});
      return { name: pkg.name, dir, exports };
    });
}

export function checkBoundaries(root: string): string[] {
  const problems: string[] = [];
  const pkgs = packages(root);
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  for (const pkg of pkgs) {
    const isPlugin = pkg.dir.includes(`${sep}plugins${sep}`);
    const isWeb = pkg.name === '@laurel/web';
    if (isPlugin) {
      // Its manifest depends on no Laurel package but the SDK (the harness only as a devDependency).
      const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']) {
        const allowed = field === 'devDependencies' ? PLUGIN_TEST_ALLOWED : PLUGIN_ALLOWED;
        for (const dep of Object.keys(manifest[field] ?? {})) {
          if (dep.startsWith('@laurel/') && !allowed.includes(dep)) problems.push(`${relative(root, join(pkg.dir, 'package.json'))}: a plugin depends only on @laurel/plugin-sdk (and @laurel/testing for its tests), not ${dep} in ${field}`);
        }
      }
    }
    // A plugin is checked whole (src, tests, scripts, config); other packages their src.
    for (const file of isPlugin ? walk(pkg.dir) : walk(join(pkg.dir, 'src'))) {
      const rel = relative(root, file);
      const text = readFileSync(file, 'utf8');
      const isTest = /\.test\.ts$/.test(file);
      const isPluginTest = isPlugin && (isTest || relative(pkg.dir, file).split(sep).includes('test'));
      const isWorkflow = /\.workflow\.ts$/.test(file);
      for (const m of text.matchAll(IMPORT)) {
        const typeOnly = Boolean(m[2]);
        const spec = m[3] ?? m[4];
        if (!spec) continue;
        if (spec.startsWith('@laurel/')) {
          const [scope, name, ...rest] = spec.split('/');
          const target = byName.get(`${scope}/${name}`);
          const subpath = rest.length ? `./${rest.join('/')}` : '.';
          if (!target) problems.push(`${rel}: imports unknown package ${spec}`);
          else if (!target.exports.includes(subpath)) problems.push(`${rel}: imports ${spec}, which ${target.name} does not export (internals)`);
          if (isPlugin && !(isPluginTest ? PLUGIN_TEST_ALLOWED : PLUGIN_ALLOWED).includes(`${scope}/${name}`)) {
            problems.push(`${rel}: a plugin imports only @laurel/plugin-sdk${isPluginTest ? ' and, in tests, @laurel/testing' : ''}, not ${spec}`);
          }
          if (isWeb) problems.push(`${rel}: the web app talks to the server over HTTP only, not through ${spec}`);
        } else if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          const inPackage = target.startsWith(pkg.dir + sep);
          // The repository's own test helpers serve core tests; a plugin's tests use @laurel/testing instead.
          const rootTestHelper = isTest && !isPlugin && target.startsWith(join(root, 'test') + sep);
          if (!inPackage && !rootTestHelper) problems.push(`${rel}: reaches outside its package with ${spec}`);
          // core modules: another module only through its index.ts
          const modulesDir = join(root, 'packages', 'core', 'src', 'modules') + sep;
          if (file.startsWith(modulesDir) && target.startsWith(modulesDir)) {
            const own = relative(modulesDir, file).split(sep)[0];
            const [other, ...inner] = relative(modulesDir, target).split(sep);
            if (other !== own && inner.length > 0 && !(inner.length === 1 && inner[0] === 'index.ts')) {
              problems.push(`${rel}: reaches into module "${other}" (${spec}); use its index.ts`);
            }
          }
        }
        if (isWorkflow && !typeOnly && !spec.startsWith('.') && spec !== '@temporalio/workflow') {
          problems.push(`${rel}: workflow code may import only @temporalio/workflow and types, not ${spec}`);
        }
      }
    }
  }
  return problems;
}
