import { configDefaults, defineConfig } from "vitest/config";

// `npm test`: everything but the integration bed, which needs a real control plane
// (`npm run test:integration`, vitest.integration.config.ts).
export default defineConfig({
  test: {
    exclude: [...configDefaults.exclude, "test/integration/**", ".testbed/**"],
  },
});
