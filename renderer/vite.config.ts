// Builds the renderer (React + cornerstone viewer) into dist-renderer/, loaded by Electron's app protocol and `medseg serve`.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';

const here = import.meta.dirname;

// `MEDSEG_API=http://127.0.0.1:PORT npx vite --config renderer/vite.config.ts` develops against a running
// `medseg serve`; the proxy rewrites Host so the server's loopback Host check still passes.
const api = process.env.MEDSEG_API;
const proxied = api ? Object.fromEntries(['/rpc', '/data', '/events'].map((p) => [p, { target: api, changeOrigin: true }])) : undefined;

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  server: { host: '127.0.0.1', proxy: proxied },
  build: {
    outDir: path.resolve(here, '../dist-renderer'),
    emptyOutDir: true,
    // No inline <script>/<style> so the strict CSP (script-src 'self') holds.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
});
