#!/usr/bin/env node
// Thin launcher kept in git with its exec bit, so npm can link it before the first build.
import { main } from "../dist/bin/binfleet-portage.js";

// `binfleet-portage … | head` closes the pipe early: that is not an error.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2), process.stdin, process.stdout, process.stderr);
