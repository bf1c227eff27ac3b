import { defineConfig } from "vitest/config";

// `npm run test:integration`: one control plane for the whole run, so files run one after
// another in a single worker, with timeouts sized for builds and real processes.
export default defineConfig({
  test: {
    include: ["test/integration/**/*.test.ts"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 300_000,
    hookTimeout: 3_600_000,
    globalSetup: ["test/integration/global-setup.ts"],
  },
});
