// test: long 22 (seconds it took in a full npm test run: long files start first, longest first)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { SnapshotMirror } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { simEmerge } from "./fleet-harness.js";
import { createLogger } from "@binfleet/daemon";
import { freePort } from "@binfleet/shared/testing";

/**
 * Every file of a tree with its content hash: equal maps mean byte-identical trees. Synchronous:
 * the test walks 4,600-file trees 14 times, and fs/promises pays four thread-pool round trips a file.
 */
function fileDigests(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(relative(dir, full), createHash("sha256").update(readFileSync(full)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}


describe("the snapshot mirror: nodes sync the builders' tree from the binhost over real rsync", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let mirror: SnapshotMirror;
  let tree: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-mirror-"));
    fleet = await generateFleet({ nodes: 2, platforms: 1, seed: 9, lag: 0.05, out: join(tmp, "fleet") });
    // The builders' tree after a nightly sync: a copy the test can move forward.
    tree = join(tmp, "builder-tree");
    await cp(fleet.repo, tree, { recursive: true });
    mirror = await SnapshotMirror.start({ stateDir: join(tmp, "coordinator"), repo: "gentoo", host: "127.0.0.1", port: await freePort(), log: createLogger({ name: "test", level: "error", destination: new PassThrough() }) });
    for (const n of fleet.nodes) {
      // What enrollment writes: the node's repository syncs from the binhost.
      await mkdir(join(n.root, "etc/portage/repos.conf"), { recursive: true });
      await writeFile(join(n.root, "etc/portage/repos.conf/zz-binfleet.conf"), `[gentoo]\nsync-type = rsync\nsync-uri = ${mirror.uri}\n`);
    }
  });

  after(async () => {
    await mirror?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  test("after a publish every node that syncs has the builders' tree byte for byte, and its snapshot id", async () => {
    const id = await mirror.publish(tree);
    assert.equal(id, (await readFile(join(tree, "metadata/timestamp.chk"), "utf8")).trim());
    assert.equal(mirror.snapshotId, id);
    const want = fileDigests(tree);
    for (const n of fleet.nodes) {
      const r = await simEmerge(n.root, ["--sync"]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`Snapshot: ${id.replace(/[+]/g, "\\+")}`));
      assert.deepEqual(fileDigests(join(n.root, "var/db/repos/gentoo")), want, `${n.name}'s tree`);
    }
  });

  test("a new snapshot replaces the old one whole: changed, added and removed files all follow", async () => {
    await writeFile(join(tree, "metadata/timestamp.chk"), "Thu, 26 Nov 2026 00:45:01 +0000\n");
    const cats = (await readdir(join(tree, "metadata/md5-cache"))).sort();
    await rm(join(tree, "metadata/md5-cache", cats[0]!), { recursive: true });
    await writeFile(join(tree, "profiles/binfleet-test"), "new file\n");
    const id = await mirror.publish(tree);
    assert.equal(id, "Thu, 26 Nov 2026 00:45:01 +0000");
    const node = fleet.nodes[0]!;
    const r = await simEmerge(node.root, ["--sync"]);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(fileDigests(join(node.root, "var/db/repos/gentoo")), fileDigests(tree));
    // The other node has not synced: it is still on the old snapshot, whole.
    assert.notEqual((await readFile(join(fleet.nodes[1]!.root, "var/db/repos/gentoo/metadata/timestamp.chk"), "utf8")).trim(), id);
  });

  test("a node syncing while a snapshot is switched gets the old or the new tree whole, never a mix", async () => {
    // Two trees that differ in many files: a mix would match neither digest.
    const other = join(tmp, "builder-tree-b");
    await cp(tree, other, { recursive: true });
    for (const cat of (await readdir(join(other, "metadata/md5-cache"))).slice(0, 20)) {
      for (const f of await readdir(join(other, "metadata/md5-cache", cat))) await writeFile(join(other, "metadata/md5-cache", cat, f), `changed ${cat}/${f}\n`);
    }
    await writeFile(join(other, "metadata/timestamp.chk"), "Fri, 27 Nov 2026 00:45:01 +0000\n");
    const digests = new Map([[tree, fileDigests(tree)], [other, fileDigests(other)]]);
    const node = fleet.nodes[1]!;
    let previous = tree;
    await mirror.publish(previous);
    for (let i = 0; i < 6; i++) {
      const next = previous === tree ? other : tree;
      const [r] = await Promise.all([simEmerge(node.root, ["--sync"]), new Promise((ok) => setTimeout(ok, i * 15)).then(() => mirror.publish(next))]);
      assert.equal(r.code, 0, r.out);
      const got = fileDigests(join(node.root, "var/db/repos/gentoo"));
      const same = (a: Map<string, string>, b: Map<string, string>): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
      const whole = [previous, next].filter((t) => same(got, digests.get(t)!));
      assert.equal(whole.length, 1, `sync ${i}: the node's tree is neither snapshot whole`);
      previous = next;
    }
  });
});
