#!/usr/bin/env -S node --lite-mode --no-expose-wasm
// binfleet-agent: kept in git with its exec bit so npm can link it before the first build.
//
// --lite-mode (V8 without its optimizing compilers): the agent idles on every node of the fleet and
// does little work when it wakes, so its memory counts more than its speed: the installed agent
// idles at ~64 MiB instead of ~84 (npm run bench -- --only agent). Lite mode has no WebAssembly;
// saying so keeps V8 from warning about it at every start. The release bundle keeps this line.
import { main } from "../dist/main.js";

// exit, not exitCode: a daemon that failed exits within its grace period even if something still holds the event loop.
process.exit(await main(process.argv.slice(2)));
