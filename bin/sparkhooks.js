#!/usr/bin/env node
// The `sparkhooks` command: runs the compiled CLI (npm's prepare script builds dist/).
import { main } from "../dist/hooks/cli/main.js";

// exitCode rather than exit(): a large render piped to another command is written out first.
process.exitCode = main(process.argv.slice(2));
