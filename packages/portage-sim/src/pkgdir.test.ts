import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { heldByTheDead, withPkgdirLock } from "./pkgdir.js";

// Above Linux's largest possible pid (PID_MAX_LIMIT, 2^22): no process has it.
const DEAD_PID = 4_194_305;
let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "binfleet-pkgdir-lock-"));
});
after(() => rm(tmp, { recursive: true, force: true }));

async function lockOf(name: string, owner: string | null): Promise<string> {
  const lock = join(tmp, name);
  await mkdir(lock, { recursive: true });
  if (owner !== null) await writeFile(join(lock, "owner"), owner);
  return lock;
}

test("a lock is held by the dead only when its holder is a process of this host that is gone", async () => {
  assert.equal(await heldByTheDead(await lockOf("dead", `${hostname()} ${DEAD_PID}`)), true);
  assert.equal(await heldByTheDead(await lockOf("alive", `${hostname()} ${process.pid}`)), false);
  assert.equal(await heldByTheDead(await lockOf("elsewhere", `another-host.invalid ${DEAD_PID}`)), false);
  assert.equal(await heldByTheDead(await lockOf("unwritten", null)), false);
  assert.equal(await heldByTheDead(await lockOf("garbage", "not an owner")), false);
});

test("a PKGDIR lock left by a killed builder is taken over at once, not after a minute", { timeout: 20_000 }, async () => {
  const pkgdir = join(tmp, "pkgdir");
  await lockOf("pkgdir/.binfleet-sim.lock", `${hostname()} ${DEAD_PID}`);
  const holder = await withPkgdirLock(pkgdir, () => readFile(join(pkgdir, ".binfleet-sim.lock/owner"), "utf8"));
  assert.equal(holder, `${hostname()} ${process.pid}`);
  await assert.rejects(readFile(join(pkgdir, ".binfleet-sim.lock/owner")), { code: "ENOENT" }, "released");
});

test("writers waiting on a dead holder's lock take it one at a time", { timeout: 20_000 }, async () => {
  const pkgdir = join(tmp, "contended");
  await lockOf("contended/.binfleet-sim.lock", `${hostname()} ${DEAD_PID}`);
  let inside = 0;
  let most = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 8 }, (_, w) =>
      withPkgdirLock(pkgdir, async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 5));
        order.push(w);
        inside--;
      }),
    ),
  );
  assert.equal(most, 1, "never two writers at once");
  assert.equal(order.length, 8);
  assert.deepEqual(await readdir(pkgdir), [], "no lock, turn or half-made lock directory left");
});
