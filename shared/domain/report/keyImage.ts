// A report's key image, pure: one slice of the volume across `sliceAxis`, windowed to grey, the label overlaid in its
// colour (half transparent) and line segments (RECIST axes, given in voxel coordinates) drawn on top. RGBA out.
import { windowBoundsOf, type Voi } from '../windowing.js';
import type { Vec3, Volume } from '../volume.js';

export interface KeyImageRequest {
  volume: Volume;
  labels: Uint8Array | Uint16Array;
  /** Grid axis held constant (the RECIST "axial" axis); the image spans the other two, lower axis across. */
  sliceAxis: 0 | 1 | 2;
  slice: number;
  voi: Voi;
  /** Label values to overlay, with their colours. */
  overlay: Map<number, [number, number, number]>;
  /** Segments to draw, end points in continuous voxel coordinates (i, j, k), with their colours. */
  segments: { fromIjk: Vec3; toIjk: Vec3; rgb: [number, number, number] }[];
}

export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

const OVERLAY_ALPHA = 0.45;

export function renderKeyImage(req: KeyImageRequest): RgbaImage {
  const { dims } = req.volume;
  const [ua, va] = ([0, 1, 2] as const).filter((a) => a !== req.sliceAxis) as [0 | 1 | 2, 0 | 1 | 2];
  const width = dims[ua];
  const height = dims[va];
  const stride: Vec3 = [1, dims[0], dims[0] * dims[1]];
  const base = req.slice * stride[req.sliceAxis];
  const { lo, hi } = windowBoundsOf(req.voi);
  const rgba = new Uint8Array(width * height * 4);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const n = base + u * stride[ua] + v * stride[va];
      const g = Math.round((255 * Math.min(Math.max(req.volume.voxels[n] - lo, 0), hi - lo)) / (hi - lo || 1));
      let r = g;
      let gr = g;
      let b = g;
      const colour = req.overlay.get(req.labels[n]);
      if (colour) {
        r = Math.round(r * (1 - OVERLAY_ALPHA) + colour[0] * OVERLAY_ALPHA);
        gr = Math.round(gr * (1 - OVERLAY_ALPHA) + colour[1] * OVERLAY_ALPHA);
        b = Math.round(b * (1 - OVERLAY_ALPHA) + colour[2] * OVERLAY_ALPHA);
      }
      const o = (v * width + u) * 4;
      rgba[o] = r;
      rgba[o + 1] = gr;
      rgba[o + 2] = b;
      rgba[o + 3] = 255;
    }
  }
  for (const s of req.segments) drawLine(rgba, width, height, [s.fromIjk[ua], s.fromIjk[va]], [s.toIjk[ua], s.toIjk[va]], s.rgb);
  return { width, height, rgba };
}

/** A line between two continuous pixel positions, one pixel wide, sampled every half pixel. */
function drawLine(rgba: Uint8Array, width: number, height: number, a: [number, number], b: [number, number], rgb: [number, number, number]): void {
  const steps = Math.max(1, Math.ceil(2 * Math.hypot(b[0] - a[0], b[1] - a[1])));
  for (let s = 0; s <= steps; s++) {
    const x = Math.round(a[0] + ((b[0] - a[0]) * s) / steps);
    const y = Math.round(a[1] + ((b[1] - a[1]) * s) / steps);
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    const o = (y * width + x) * 4;
    rgba[o] = rgb[0];
    rgba[o + 1] = rgb[1];
    rgba[o + 2] = rgb[2];
  }
}
