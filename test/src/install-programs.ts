// node test/dist/install-programs.js DIR: installs the programs tests and the demo start (see
// programs.ts) under DIR as the release lays them out.
import { installProgram } from "@binfleet/release";
import { TEST_PROGRAMS } from "./programs.js";

const prefix = process.argv[2];
if (prefix === undefined || prefix === "") {
  process.stderr.write("usage: install-programs DIR\n");
  process.exit(2);
}
await Promise.all(TEST_PROGRAMS.map((name) => installProgram(name, prefix)));
