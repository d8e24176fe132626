import { defineConfig } from 'drizzle-kit';

// `pnpm --filter @tollgate/db db:generate` diffs src/schema against the committed snapshots in
// drizzle/ and writes the next migration there; createDb applies them at start-up.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './drizzle',
  strict: true,
});
