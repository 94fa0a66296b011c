import assert from "node:assert/strict";
import { test } from "node:test";
import type { InstalledPackage } from "@binfleet/shared/portage";
import { type GraphNode, serialize } from "./merge-order.js";

let ids = 0;
function node(name: string, merge = true): GraphNode<string> {
  return { id: ids++, ebuild: null, installed: null, task: merge ? name : null, children: new Set(), parents: new Set(), isArg: false, uninstalls: [] };
}
function dep(parent: GraphNode<string>, child: GraphNode<string>): void {
  parent.children.add(child);
  child.parents.add(parent);
}
const names = (entries: ReturnType<typeof serialize<string>>): string[] => entries.map((e) => (e.kind === "merge" ? e.node.task! : `${e.kind}:${e.pkg.cpv.cpv}`));

test("leaves go first, those with more parents before the rest, then in the order they were added", () => {
  // emerge -p hello newtool libmid: libbase (a dependency of libmid) comes before hello.
  const hello = node("hello");
  const newtool = node("newtool");
  const libmid = node("libmid");
  const libbase = node("libbase");
  dep(libmid, libbase);
  assert.deepEqual(names(serialize([hello, newtool, libmid, libbase], false)), ["libbase", "hello", "newtool", "libmid"]);
});

test("installed packages nothing merged needs are pruned; those in the middle are not shown", () => {
  const app = node("app");
  const installedLib = node("lib", false);
  const newLib = node("newlib");
  dep(app, installedLib);
  dep(installedLib, newLib);
  const orphan = node("orphan", false);
  assert.deepEqual(names(serialize([app, installedLib, newLib, orphan], false)), ["newlib", "app"]);
});

test("--tree takes one leaf with a parent at a time, so a chain stays together", () => {
  const top = node("top");
  const mid = node("mid");
  const low = node("low");
  const other = node("other");
  dep(top, mid);
  dep(mid, low);
  assert.deepEqual(names(serialize([top, mid, low, other], true)), ["low", "mid", "top", "other"]);
});

test("a package that soft-blocks an installed one waits for the rest, then its uninstall and blocker follow it", () => {
  const blocker = node("newtool");
  const oldtool = { cpv: { cpv: "app-misc/oldtool-1.0" } } as unknown as InstalledPackage;
  blocker.uninstalls.push(oldtool);
  const hello = node("hello");
  assert.deepEqual(names(serialize([blocker, hello], false)), ["hello", "newtool", "uninstall:app-misc/oldtool-1.0", "blocks:app-misc/oldtool-1.0"]);
});
