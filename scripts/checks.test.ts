import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBoundaries } from './check-boundaries.ts';
import { checkLocales } from './check-locales.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'laurel-check-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const pkg = (name: string, exports: Record<string, string> = { '.': './src/index.ts' }) => JSON.stringify({ name, exports });

describe('locale check', () => {
  it('finds a key missing in one language and a missing plural form', () => {
    const root = tree({
      'packages/core/src/locales/en.json': JSON.stringify({ a: 'A', n_one: 'one', n_other: 'many' }),
      'packages/core/src/locales/pl.json': JSON.stringify({ n_one: 'jeden', n_few: 'kilka', n_many: 'wiele', n_other: 'inne' }),
      'packages/core/src/locales/ru.json': JSON.stringify({ a: 'А', n_one: 'один', n_other: 'много' }),
    });
    expect(checkLocales(root).sort()).toEqual([
      'packages/core/src/locales [pl]: missing "a"',
      'packages/core/src/locales [ru]: "n" lacks plural form(s) few, many',
    ]);
  });

  it('finds a placeholder that differs from English and an empty message', () => {
    const root = tree({
      'x/locales/en.json': JSON.stringify({ a: 'Hello {{name}}', b: 'B' }),
      'x/locales/pl.json': JSON.stringify({ a: 'Cześć {{imie}}', b: 'B' }),
      'x/locales/ru.json': JSON.stringify({ a: 'Привет {{name}}', b: ' ' }),
    });
    expect(checkLocales(root).sort()).toEqual([
      'x/locales [pl]: "a" uses placeholders {imie}, English uses {name}',
      'x/locales [ru]: "b" is empty or not a string',
    ]);
  });

  it('passes a complete set', () => {
    const root = tree({
      'web/src/lib/i18n/locales/en/common.json': JSON.stringify({ x: { y: 'Y' } }),
      'web/src/lib/i18n/locales/pl/common.json': JSON.stringify({ x: { y: 'Y' } }),
      'web/src/lib/i18n/locales/ru/common.json': JSON.stringify({ x: { y: 'Y' } }),
    });
    expect(checkLocales(root)).toEqual([]);
  });
});

describe('boundary check', () => {
  it('flags internals, a plugin importing core, a module reaching into another, and impure workflow code', () => {
    const root = tree({
      'packages/core/package.json': pkg('@laurel/core', { '.': './src/index.ts', './testing': './src/testing/index.ts' }),
      'packages/core/src/index.ts': '',
      'packages/core/src/modules/a/index.ts': "import { x } from '../b/b.service.ts';\nimport { y } from '../b/index.ts';",
      'packages/core/src/modules/b/index.ts': '',
      'packages/plugin-sdk/package.json': pkg('@laurel/plugin-sdk'),
      'packages/plugin-sdk/src/index.ts': '',
      'packages/workflows/package.json': pkg('@laurel/workflows'),
      'packages/workflows/src/x.workflow.ts': "import { proxyActivities } from '@temporalio/workflow';\nimport type { A } from '@laurel/core';\nimport pg from 'pg';",
      'packages/workflows/src/y.ts': "import { thing } from '@laurel/core/src/app.ts';",
      'plugins/mdf/package.json': pkg('@acme/mdf'),
      'plugins/mdf/src/index.ts': "import { definePlugin } from '@laurel/plugin-sdk';\nimport { buildApp } from '@laurel/core';",
      'web/package.json': pkg('@laurel/web'),
      'web/src/routes/+page.ts': "import { buildApp } from '@laurel/core';",
    });
    expect(checkBoundaries(root).sort()).toEqual([
      'packages/core/src/modules/a/index.ts: reaches into module "b" (../b/b.service.ts); use its index.ts',
      'packages/workflows/src/x.workflow.ts: workflow code may import only @temporalio/workflow and types, not pg',
      'packages/workflows/src/y.ts: imports @laurel/core/src/app.ts, which @laurel/core does not export (internals)',
      'plugins/mdf/src/index.ts: a plugin imports only @laurel/plugin-sdk, not @laurel/core',
      'web/src/routes/+page.ts: the web app talks to the server over HTTP only, not through @laurel/core',
    ]);
  });

  it('keeps every file of a plugin to the SDK (tests also to the harness) and inside its own package', () => {
    const root = tree({
      'packages/core/package.json': pkg('@laurel/core', { '.': './src/index.ts', './testing': './src/testing/index.ts' }),
      'packages/core/src/index.ts': '',
      'packages/plugin-sdk/package.json': pkg('@laurel/plugin-sdk'),
      'packages/plugin-sdk/src/index.ts': '',
      'packages/testing/package.json': pkg('@laurel/testing'),
      'packages/testing/src/index.ts': '',
      'packages/workflows/package.json': pkg('@laurel/workflows'),
      'packages/cli/package.json': pkg('@laurel/cli'),
      'test/database.ts': '',
      'plugins/good/package.json': JSON.stringify({ name: '@acme/good', exports: { '.': './src/index.ts' }, dependencies: { '@laurel/plugin-sdk': '*', 'fast-xml': '1' }, devDependencies: { '@laurel/testing': '*' } }),
      'plugins/good/src/index.ts': "import { definePlugin } from '@laurel/plugin-sdk';\nimport { helper } from './helper.ts';\nimport x from 'fast-xml';",
      'plugins/good/src/helper.ts': "export type { Actor } from '@laurel/plugin-sdk';",
      'plugins/good/src/index.int.test.ts': "import { startTestApp } from '@laurel/testing';\nimport plugin from './index.ts';\nimport doc from '../test/fixtures/doc.ts';",
      'plugins/good/test/fixtures/doc.ts': "import { startTestApp } from '@laurel/testing';",
      'plugins/bad/package.json': JSON.stringify({ name: '@acme/bad', exports: { '.': './src/index.ts' }, dependencies: { '@laurel/core': '*' }, devDependencies: { '@laurel/cli': '*' } }),
      'plugins/bad/src/index.ts': "import { definePlugin } from '@laurel/plugin-sdk';\nimport { startTestApp } from '@laurel/testing';\nconst w = await import('@laurel/workflows');",
      'plugins/bad/src/deep.ts': "import type { LedgerService } from '../../../packages/core/src/modules/ledger/index.ts';\nconst good = require('../../good/src/helper.ts');",
      'plugins/bad/src/x.test.ts': "import { startTestApp } from '@laurel/core/testing';\nimport { createTestDatabase } from '../../../test/database.ts';",
      'plugins/bad/scripts/seed.js': "import { buildApp } from '@laurel/core';",
      'plugins/bad/test/helpers.ts': "import { run } from '@laurel/cli';",
    });
    expect(checkBoundaries(root).sort()).toEqual([
      'plugins/bad/package.json: a plugin depends only on @laurel/plugin-sdk (and @laurel/testing for its tests), not @laurel/cli in devDependencies',
      'plugins/bad/package.json: a plugin depends only on @laurel/plugin-sdk (and @laurel/testing for its tests), not @laurel/core in dependencies',
      'plugins/bad/scripts/seed.js: a plugin imports only @laurel/plugin-sdk, not @laurel/core',
      'plugins/bad/src/deep.ts: reaches outside its package with ../../../packages/core/src/modules/ledger/index.ts',
      'plugins/bad/src/deep.ts: reaches outside its package with ../../good/src/helper.ts',
      'plugins/bad/src/index.ts: a plugin imports only @laurel/plugin-sdk, not @laurel/testing',
      'plugins/bad/src/index.ts: a plugin imports only @laurel/plugin-sdk, not @laurel/workflows',
      'plugins/bad/src/x.test.ts: a plugin imports only @laurel/plugin-sdk and, in tests, @laurel/testing, not @laurel/core/testing',
      'plugins/bad/src/x.test.ts: reaches outside its package with ../../../test/database.ts',
      'plugins/bad/test/helpers.ts: a plugin imports only @laurel/plugin-sdk and, in tests, @laurel/testing, not @laurel/cli',
    ]);
  });
});
