// `medseg mesh LABELMAP.nii.gz -o OUT.stl|.obj|.ply [--label N[,N...]] [--space lps|ras] [--triangles N] --json`:
// surface meshes per label in mm, written in the chosen space (named in the file header); one file per label when
// several, OUT's name getting -<label name> before the extension.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { labelSurface } from '../../../shared/domain/mesh/labelSurface.js';
import { encodeMesh, type MeshFormat, type MeshSpace } from '../../../shared/domain/mesh/meshFormats.js';
import { voxelVolumeMl } from '../../../shared/domain/volume.js';
import { LABEL_TABLE_OPTIONS, LABEL_TABLE_USAGE, loadGatedLabelMap, resolveLabel } from './planningCommon.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg mesh LABELMAP.nii.gz -o OUT.stl|.obj|.ply [--label N|NAME[,...]] [--space lps|ras] [--triangles N] [--label-names NAMES.csv] [--json]\n' +
  '  Default: every label present, LPS, at most 100000 triangles per label. Several labels: one file each, OUT-<name>.ext.\n' +
  LABEL_TABLE_USAGE;

/** A label name as a file-name part: letters, digits, '-', '_' and '.' kept, anything else '_'. */
export function fileNamePart(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'label';
}

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        output: { type: 'string', short: 'o' },
        label: { type: 'string' },
        space: { type: 'string' },
        triangles: { type: 'string' },
        json: { type: 'boolean' },
        ...LABEL_TABLE_OPTIONS,
      },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one LABELMAP\nusage: ${usage}`);
    if (!values.output) throw new UsageError(`give -o OUT.stl|.obj|.ply\nusage: ${usage}`);
    const ext = path.extname(values.output).toLowerCase().slice(1);
    if (ext !== 'stl' && ext !== 'obj' && ext !== 'ply') throw new UsageError(`OUT must end in .stl, .obj or .ply\nusage: ${usage}`);
    const format = ext as MeshFormat;
    const space = (values.space ?? 'lps').toLowerCase();
    if (space !== 'lps' && space !== 'ras') throw new UsageError(`--space must be lps or ras\nusage: ${usage}`);
    const budget = values.triangles === undefined ? 100_000 : Number(values.triangles);
    if (!(Number.isInteger(budget) && budget >= 1000)) throw new UsageError(`--triangles must be an integer >= 1000\nusage: ${usage}`);

    const { labelMap, geometry } = await loadGatedLabelMap(positionals[0], values, 'Surface meshes in mm');
    const chosen = values.label === undefined ? labelMap.table.map((l) => l.value) : values.label.split(',').map((t) => resolveLabel(labelMap, t));
    const vml = voxelVolumeMl(labelMap);
    const labels = [];
    await mkdir(path.dirname(path.resolve(values.output)), { recursive: true });
    for (const value of chosen) {
      const info = labelMap.table.find((l) => l.value === value)!;
      const surface = labelSurface(labelMap, value, { targetTriangles: budget });
      const file = chosen.length === 1 ? values.output : values.output.slice(0, -ext.length - 1) + `-${fileNamePart(info.name)}.${ext}`;
      await writeFile(file, encodeMesh(surface.mesh, format, space as MeshSpace, info.name));
      let voxels = 0;
      for (let p = 0; p < labelMap.labels.length; p++) if (labelMap.labels[p] === value) voxels++;
      labels.push({
        value,
        name: info.name,
        file,
        triangles: surface.mesh.triangles.length / 3,
        vertices: surface.mesh.positions.length / 3,
        meshVolumeMl: surface.meshVolumeMm3 / 1000,
        voxelVolumeMl: voxels * vml,
        areaCm2: surface.areaMm2 / 100,
      });
    }
    const result = { space, format, geometryStatus: geometry.status, labels };
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else {
      for (const l of labels) {
        io.stdout(
          `${l.value} ${l.name}: ${l.triangles} triangles, ${l.meshVolumeMl.toFixed(2)} mL (voxels ${l.voxelVolumeMl.toFixed(2)} mL), ${l.areaCm2.toFixed(1)} cm² -> ${l.file}\n`,
        );
      }
    }
    return EXIT_OK;
  },
};
