import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with every skipped test by name (a skip is never silent) and one plain closing line,
 * `tests: N passed, N failed, N skipped`.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    let passed = 0;
    let failed = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'skipped') skipped.push(`${relative(process.cwd(), mod.moduleId)} > ${test.fullName}`);
        else if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed += 1;
    }
    if (skipped.length > 0) console.log(`\nSkipped tests (${skipped.length}), by name:\n${skipped.map((s) => `  - ${s}`).join('\n')}`);
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
  }
}
