import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/** The API server in development; `pnpm dev` at the root starts it on this port. */
const API_TARGET = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [vue()],
  server: {
    port: 5173,
    proxy: { '/api': { target: API_TARGET, changeOrigin: false } },
  },
  preview: {
    proxy: { '/api': { target: API_TARGET, changeOrigin: false } },
  },
  build: {
    target: 'es2022',
    rollupOptions: {
      treeshake: {
        // @tollgate/domain is pure (no import-time effects), but its zod schemas are built at module
        // top level, which rollup must otherwise keep: this lets it drop the Stripe parsers the
        // browser never uses.
        moduleSideEffects: (id) => !/[\\/]packages[\\/]domain[\\/]/.test(id),
      },
    },
  },
});
