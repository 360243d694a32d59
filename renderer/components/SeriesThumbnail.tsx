// A series' 64×64 grey thumbnail (middle slice, decoded on the server), drawn on a small canvas.
import { useEffect, useRef } from 'react';
import { api } from '../api.js';

const SIZE = 64;

export function SeriesThumbnail({ seriesId }: { seriesId: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let alive = true;
    api.fetchBinary('thumbnail', seriesId).then(
      ({ buffer }) => {
        const ctx = ref.current?.getContext('2d');
        if (!alive || !ctx || buffer.byteLength !== SIZE * SIZE) return;
        const grey = new Uint8Array(buffer);
        const img = ctx.createImageData(SIZE, SIZE);
        for (let n = 0; n < grey.length; n++) {
          img.data[4 * n] = img.data[4 * n + 1] = img.data[4 * n + 2] = grey[n];
          img.data[4 * n + 3] = 255;
        }
        ctx.putImageData(img, 0, 0);
      },
      () => undefined, // a missing thumbnail leaves the black square; the series still opens
    );
    return () => {
      alive = false;
    };
  }, [seriesId]);
  return <canvas ref={ref} width={SIZE} height={SIZE} className="thumb" data-testid={`thumb-${seriesId}`} />;
}
