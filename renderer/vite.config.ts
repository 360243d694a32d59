// Builds the renderer (React + cornerstone viewer) into dist-renderer/, loaded by Electron's app protocol and `medseg serve`.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';

const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: path.resolve(here, '../dist-renderer'),
    emptyOutDir: true,
    // No inline <script>/<style> so the strict CSP (script-src 'self') holds.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
});
