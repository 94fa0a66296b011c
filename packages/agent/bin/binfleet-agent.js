#!/usr/bin/env node
// binfleet-agent: kept in git with its exec bit so npm can link it before the first build.
import { main } from "../dist/main.js";

// exit, not exitCode: a daemon that failed exits within its grace period even if something still holds the event loop.
process.exit(await main(process.argv.slice(2)));
