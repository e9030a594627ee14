/**
 * Builds the dashboard into dist/web, which `sluice controller` serves at /ui/. Everything it needs is bundled
 * here from npm; the page fetches nothing but the API at run time. It imports the typed client from src/client
 * (TypeScript sources with NodeNext-style `.js` specifiers, which Vite resolves to the `.ts` files).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
/** `vite --config web/vite.config.ts` (dev server) proxies the API to a controller here. */
const api = process.env.SLUICE_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: here,
  base: '/ui/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // src/client lives outside web/.
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
    proxy: Object.fromEntries(['/api', '/wm', '/metrics', '/openapi.json'].map((p) => [p, api])),
  },
});
