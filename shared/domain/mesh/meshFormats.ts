// Mesh files for other tools (Slicer, 3D-print slicers): binary STL, OBJ and binary PLY, in LPS or RAS as the user
// picks, the system named in the header as "SPACE=LPS" / "SPACE=RAS" (the token Slicer reads) with the unit (mm).
// Pure: returns bytes; the renderer can build a download from the same code the CLI writes files with.
/** Any indexed triangle mesh: the domain's (float64) or the buffers planning.mesh serves (float32 / uint32). */
export interface MeshBuffers {
  /** x,y,z per vertex in LPS mm. */
  positions: ArrayLike<number>;
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  triangles: ArrayLike<number>;
}

export type MeshSpace = 'lps' | 'ras';
export type MeshFormat = 'stl' | 'obj' | 'ply';

/** Vertices in the chosen space: RAS = (−L, −P, S). Mirroring two axes is a rotation, so the winding stays outward. */
export function positionsInSpace(positionsLps: ArrayLike<number>, space: MeshSpace): Float32Array {
  const out = Float32Array.from(positionsLps);
  if (space === 'ras') {
    for (let q = 0; q < out.length; q += 3) {
      out[q] = -out[q];
      out[q + 1] = -out[q + 1];
    }
  }
  return out;
}

function headerLine(space: MeshSpace, name: string): string {
  return `medseg surface "${name.replace(/[^\x20-\x7e]/g, '?').replace(/"/g, "'")}" SPACE=${space.toUpperCase()} units=mm`;
}

export function encodeMesh(mesh: MeshBuffers, format: MeshFormat, space: MeshSpace, name: string): Uint8Array {
  if (format === 'stl') return encodeStl(mesh, space, name);
  if (format === 'obj') return encodeObj(mesh, space, name);
  return encodePly(mesh, space, name);
}

/** Binary STL: 80-byte header, triangle count, then per triangle its unit normal, three vertices and 0. */
export function encodeStl(mesh: MeshBuffers, space: MeshSpace, name: string): Uint8Array {
  const p = positionsInSpace(mesh.positions, space);
  const t = mesh.triangles;
  const n = t.length / 3;
  const bytes = new Uint8Array(84 + 50 * n);
  const view = new DataView(bytes.buffer);
  const header = headerLine(space, name).slice(0, 80);
  for (let c = 0; c < header.length; c++) bytes[c] = header.charCodeAt(c);
  for (let c = header.length; c < 80; c++) bytes[c] = 0x20;
  view.setUint32(80, n, true);
  let o = 84;
  for (let q = 0; q < t.length; q += 3) {
    const a = t[q] * 3;
    const b = t[q + 1] * 3;
    const c = t[q + 2] * 3;
    const u = [p[b] - p[a], p[b + 1] - p[a + 1], p[b + 2] - p[a + 2]];
    const v = [p[c] - p[a], p[c + 1] - p[a + 1], p[c + 2] - p[a + 2]];
    const nx = u[1] * v[2] - u[2] * v[1];
    const ny = u[2] * v[0] - u[0] * v[2];
    const nz = u[0] * v[1] - u[1] * v[0];
    const len = Math.hypot(nx, ny, nz) || 1;
    view.setFloat32(o, nx / len, true);
    view.setFloat32(o + 4, ny / len, true);
    view.setFloat32(o + 8, nz / len, true);
    o += 12;
    for (const w of [a, b, c]) {
      view.setFloat32(o, p[w], true);
      view.setFloat32(o + 4, p[w + 1], true);
      view.setFloat32(o + 8, p[w + 2], true);
      o += 12;
    }
    view.setUint16(o, 0, true);
    o += 2;
  }
  return bytes;
}

/** Wavefront OBJ text: comment header, "v x y z" per vertex (shortest float32 round-trip text), "f a b c" 1-based. */
export function encodeObj(mesh: MeshBuffers, space: MeshSpace, name: string): Uint8Array {
  const p = positionsInSpace(mesh.positions, space);
  const t = mesh.triangles;
  const lines: string[] = [
    `# ${headerLine(space, name)}`,
    `# coordinate system ${space.toUpperCase()}, millimetres; faces counter-clockwise seen from outside`,
  ];
  lines.push(`o ${name.replace(/\s+/g, '_') || 'surface'}`);
  for (let q = 0; q < p.length; q += 3) lines.push(`v ${p[q]} ${p[q + 1]} ${p[q + 2]}`);
  for (let q = 0; q < t.length; q += 3) lines.push(`f ${t[q] + 1} ${t[q + 1] + 1} ${t[q + 2] + 1}`);
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

/** Binary little-endian PLY: float32 x y z per vertex, uchar-counted int32 index lists per face. */
export function encodePly(mesh: MeshBuffers, space: MeshSpace, name: string): Uint8Array {
  const p = positionsInSpace(mesh.positions, space);
  const t = mesh.triangles;
  const vertices = p.length / 3;
  const faces = t.length / 3;
  const header = new TextEncoder().encode(
    [
      'ply',
      'format binary_little_endian 1.0',
      `comment ${headerLine(space, name)}`,
      `element vertex ${vertices}`,
      'property float x',
      'property float y',
      'property float z',
      `element face ${faces}`,
      'property list uchar int vertex_indices',
      'end_header',
      '',
    ].join('\n'),
  );
  const bytes = new Uint8Array(header.length + 12 * vertices + 13 * faces);
  bytes.set(header, 0);
  const view = new DataView(bytes.buffer);
  let o = header.length;
  for (let q = 0; q < p.length; q++, o += 4) view.setFloat32(o, p[q], true);
  for (let q = 0; q < t.length; q += 3) {
    view.setUint8(o, 3);
    view.setInt32(o + 1, t[q], true);
    view.setInt32(o + 5, t[q + 1], true);
    view.setInt32(o + 9, t[q + 2], true);
    o += 13;
  }
  return bytes;
}
