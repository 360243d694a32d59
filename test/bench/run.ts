// `npm run bench`: runs every benchmark module in this folder (files named *Bench) one after another.
// Each prints its figures next to a reference run on the same data in the same run, as a ratio.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(import.meta.dirname)
    .filter((f) => /Bench\.js$/.test(f))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  let failed = 0;
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(import.meta.dirname, file)).href)) as Record<string, unknown>;
    for (const [name, fn] of Object.entries(mod)) {
      if (!/^run\w*Bench$/.test(name) || typeof fn !== 'function') continue;
      try {
        await (fn as () => Promise<void>)();
      } catch (err) {
        failed++;
        console.error(`${file} ${name} failed: ${(err as Error).stack ?? err}`);
      }
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

void main();
