import { defineConfig } from "vitest/config";

// Runs only the bed's own tests, without the integration globalSetup:
//   npx vitest run --config test/integration/bed/vitest.bed.config.ts test/integration/bed
export default defineConfig({
  test: {
    root: new URL("../../..", import.meta.url).pathname,
    include: ["test/integration/bed/**/*.test.ts"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 300_000,
    hookTimeout: 3_600_000,
  },
});
