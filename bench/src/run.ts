// npm run bench [-- --json] [-- --only <id-prefix>[,…]]: prints each figure with its same-run
// baseline and the machine. With --json: one JSON object per line
// ({"name","value","unit","baseline","ratio","machine","note"}). With --only: only the figures whose
// ids start with one of the prefixes (on dotted boundaries: `plan` is plan.full and plan.incremental),
// and whatever they are measured against.
import { machine, type FigureGroup } from "./measure.js";
import { portageFormats } from "./portage-formats.js";
import { planner } from "./planner.js";
import { ingest } from "./fleet-bus.js";
import { commandFanout } from "./command-fanout.js";
import { binhostServe } from "./binhost-serve.js";
import { economy } from "./economy.js";
import { agentFootprint } from "./agent-footprint.js";
import { dashboardFirstView } from "./dashboard-first-view.js";
import { BenchArgumentError, selection } from "./selection.js";

const groups: readonly FigureGroup[] = [portageFormats, planner, commandFanout, ingest, agentFootprint, binhostServe, economy, dashboardFirstView];

let want;
try {
  want = selection(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof BenchArgumentError)) throw err;
  process.stderr.write(`bench: ${err.message}; ids: ${groups.flatMap((g) => g.ids).join(", ")}\n`);
  process.exit(2);
}
const chosen = groups.filter((g) => g.ids.some(want));
if (chosen.length === 0) {
  process.stderr.write(`bench: --only selects no figure; ids: ${groups.flatMap((g) => g.ids).join(", ")}\n`);
  process.exit(2);
}

const json = process.argv.includes("--json");
const m = machine();
if (!json) process.stdout.write(`machine: ${m["cores"]} cores (${m["cpu"]}), ${m["memoryGiB"]} GiB, Node ${m["node"]}, ${m["platform"]}\n\n`);

for (const group of chosen) {
  for (const f of await group.figures(want)) {
    if (!want(f.name)) continue;
    if (json) {
      process.stdout.write(`${JSON.stringify({ name: f.name, value: f.value, unit: f.unit, baseline: f.baseline, ratio: f.ratio, machine: m, note: f.note })}\n`);
    } else {
      const base = f.baseline === null ? "" : `   baseline ${f.baseline.toLocaleString("en")} ${f.unit}, ratio ${f.ratio}`;
      process.stdout.write(`${f.name.padEnd(34)} ${f.value.toLocaleString("en").padStart(14)} ${f.unit}${base}\n`);
      if (f.note !== undefined) process.stdout.write(`${"".padEnd(34)} (${f.note})\n`);
    }
  }
}
