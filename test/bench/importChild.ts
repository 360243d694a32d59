// Bench child process: import + assemble + decode one DICOM folder into a volume, then report time and peak RSS.
import { expandInputs } from '../../main/services/catalog/sources.js';
import { readInstances } from '../../main/services/catalog/importer.js';
import { assembleSeries } from '../../main/services/series/assemble.js';
import { buildStackVolume } from '../../main/services/series/volumes.js';

async function main(): Promise<void> {
  const dir = process.argv[2];
  const t0 = performance.now();
  const expanded = await expandInputs([dir]);
  const instances = await readInstances(expanded.sources);
  const stacks = assembleSeries(instances);
  let voxels = 0;
  for (const stack of stacks) {
    const { volume } = await buildStackVolume(stack);
    voxels += volume.voxels.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ seconds, voxels, stacks: stacks.length, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
  process.exit(0); // don't wait for idle worker threads
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});
