// npm test's runner for the files that run side by side: node:test's run() with the files in the
// order given (node --test sorts them by name, so the longest could start last) and the spec
// reporter. Usage: node [flags] test/dist/run-tests.js CONCURRENCY FILE…; the flags it runs under
// (the test-runner preload) are given to every file's process by node:test.
import { resolve } from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";

const [concurrency, ...files] = process.argv.slice(2);
if (concurrency === undefined || !/^[1-9][0-9]*$/.test(concurrency) || files.length === 0) {
  process.stderr.write("usage: run-tests CONCURRENCY FILE…\n");
  process.exit(2);
}
const stream = run({ files: files.map((f) => resolve(f)), concurrency: Number(concurrency) });
stream.on("test:fail", () => {
  process.exitCode = 1;
});
stream.compose(new spec()).pipe(process.stdout);
