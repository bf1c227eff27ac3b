import { configDefaults, defineConfig } from "vitest/config";

// `npm test`: everything that needs no control plane. Integration files (`*.test.ts` under
// test/integration/) run with `npm run test:integration` (vitest.integration.config.ts); the
// pure parts of the bed (`*.unit.test.ts`) run here too.
export default defineConfig({
  test: {
    exclude: [...configDefaults.exclude, ".testbed/**", "test/integration/**/!(*.unit).test.ts"],
  },
});
