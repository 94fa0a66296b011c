#!/usr/bin/env node
// binfleet: the ops CLI. Kept in git with its exec bit so npm can link it before the first build.
import { main } from "../dist/main.js";

process.exitCode = await main(process.argv.slice(2));
