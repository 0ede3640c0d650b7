import { describe, expect, it } from 'vitest';
import { CORE_WORKFLOWS_PATH, bundleWorkflows } from './worker.ts';

describe('workflow bundle', () => {
  it('bundles the core workflows with the SDK bundler (deterministic imports only)', async () => {
    const bundle = await bundleWorkflows(CORE_WORKFLOWS_PATH);
    expect(bundle.code).toContain('approvalWorkflow');
    // Node built-ins and database drivers must never reach workflow code.
    expect(bundle.code).not.toMatch(/require\(["'](pg|node:fs|fs)["']\)/);
    expect(bundle.code.length).toBeGreaterThan(10_000);
  }, 120_000);
});
