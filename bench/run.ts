/**
 * `pnpm bench <name>`: run bench/<name>.bench.ts. Each bench prints a readable table and, as its last
 * line, one JSON object of its figures. Benches compare variants side by side in one run; they are not
 * tests and assert nothing about time.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench <name>\navailable: ${available.join(', ')}`);
  process.exit(1);
}
const mod = (await import(`./${name}.bench.ts`)) as { run(args: string[]): Promise<Record<string, unknown>> };
const figures = await mod.run(process.argv.slice(3));
console.log(JSON.stringify({ bench: name, ...figures }));
