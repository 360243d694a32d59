// Progressive opening of a series: its geometry from the headers before any pixel is decoded, and the order its
// slices become available in; each slice is then binary `volume-slice/<seriesId>?k=K` (waits until K is decoded).
import { z } from 'zod';
import { geometryReportSchema, idSchema, volumeGeometrySchema } from '../domain/schemas.js';

export const progressiveMethods = {
  /**
   * Starts (or joins) the build of a series' volume and answers at once with the grid it fills. progressive: false
   * when slices only exist once the whole volume is built (resampled stacks: tilt, uneven spacing); the client then
   * fetches the complete volume instead. The complete volume is the same build, byte for byte.
   */
  'volume.open': {
    input: z.object({ seriesId: idSchema }).strict(),
    output: z.object({
      seriesId: idSchema,
      modality: z.string(),
      ...volumeGeometrySchema.shape,
      geometry: geometryReportSchema,
      progressive: z.boolean(),
      /** Slice indices k (along the third axis) in the order the server decodes them. */
      sliceOrder: z.array(z.number().int().nonnegative()),
      /** Slices already decoded when this answer was made (a reopened series may be complete). */
      slicesReady: z.number().int().nonnegative(),
    }),
  },
} as const;
