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
    // The operator console's one lazy chunk carries echarts (~600 KB raw, ~200 KB gzip); only staff
    // download it, and the end-user budget is measured on its own by the bench (bench/src/web-size.ts).
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      treeshake: {
        // @tollgate/domain is pure (no import-time effects), but its zod schemas are built at module
        // top level, which rollup must otherwise keep: this lets it drop the Stripe parsers the
        // browser never uses.
        moduleSideEffects: (id) => !/[\\/]packages[\\/]domain[\\/]/.test(id),
      },
      // zod's published sources carry `@__PURE__` comments in places rollup can't use; rollup drops
      // them and says so on every build. Only that notice, only for files under node_modules, is muted.
      onwarn(warning, warn) {
        const isDependency = warning.id?.includes('/node_modules/') ?? false;
        if (warning.code === 'INVALID_ANNOTATION' && isDependency) return;
        warn(warning);
      },
    },
  },
});
