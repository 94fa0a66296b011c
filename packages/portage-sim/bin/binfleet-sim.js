#!/usr/bin/env node
// binfleet-sim: generate simulated fleets; `binfleet-sim emerge …` etc. run the simulated tools.
import { runSim } from "../dist/cli.js";

process.exitCode = await runSim(process.argv.slice(2));
