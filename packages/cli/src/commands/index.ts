import type { Command } from "../command.js";
import { acceptPlatform } from "./accept-platform.js";
import { approve } from "./approve.js";
import { builds } from "./builds.js";
import { drift } from "./drift.js";
import { enrollBuilder } from "./enroll-builder.js";
import { enroll } from "./enroll.js";
import { explain } from "./explain.js";
import { gc } from "./gc.js";
import { glsa } from "./glsa.js";
import { hold, unhold } from "./hold.js";
import { keys } from "./keys.js";
import { logs } from "./logs.js";
import { nodes } from "./nodes.js";
import { plan } from "./plan.js";
import { platforms } from "./platforms.js";
import { rollout } from "./rollout.js";
import { sync } from "./sync.js";

/** Every `binfleet` command, in the order --help lists them. */
export const COMMANDS: readonly Command[] = [nodes, platforms, plan, approve, hold, unhold, builds, logs, sync, rollout, glsa, explain, drift, gc, enroll, enrollBuilder, acceptPlatform, keys];
