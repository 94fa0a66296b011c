// npm run bench [-- --json]: prints each figure with its same-run baseline and the machine.
// With --json: one JSON object per line ({"name","value","unit","baseline","ratio","machine","note"}; note when a figure has one).
import { machine } from "./measure.js";
import { portageFormatFigures } from "./portage-formats.js";
import { plannerFigures } from "./planner.js";
import { busFigures } from "./fleet-bus.js";
import { commandFanoutFigures } from "./command-fanout.js";
import { binhostServeFigures } from "./binhost-serve.js";
import { economyFigures } from "./economy.js";

const json = process.argv.includes("--json");
const m = machine();
if (!json) process.stdout.write(`machine: ${m["cores"]} cores (${m["cpu"]}), ${m["memoryGiB"]} GiB, Node ${m["node"]}, ${m["platform"]}\n\n`);

for (const f of [...(await portageFormatFigures()), ...plannerFigures(), ...(await commandFanoutFigures()), ...(await busFigures()), ...(await binhostServeFigures()), ...(await economyFigures())]) {
  if (json) {
    process.stdout.write(`${JSON.stringify({ name: f.name, value: f.value, unit: f.unit, baseline: f.baseline, ratio: f.ratio, machine: m, note: f.note })}\n`);
  } else {
    const base = f.baseline === null ? "" : `   baseline ${f.baseline.toLocaleString("en")} ${f.unit}, ratio ${f.ratio}`;
    process.stdout.write(`${f.name.padEnd(34)} ${f.value.toLocaleString("en").padStart(14)} ${f.unit}${base}\n`);
    if (f.note !== undefined) process.stdout.write(`${"".padEnd(34)} (${f.note})\n`);
  }
}
