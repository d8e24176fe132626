import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

/** Component tests (happy-dom). The browser suite has its own config: vitest.e2e.config.ts. */
export default defineConfig({
  plugins: [vue()],
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
  },
});
