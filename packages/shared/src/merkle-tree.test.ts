import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { leafHash, merkleTree, rootFromInclusionProof } from "./merkle-tree.js";

/** RFC 9162 §2.1.1's definition, recursively: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two < n. */
function rfcRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leafHash(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash("sha256").update(Uint8Array.of(1)).update(rfcRoot(leaves.slice(0, k))).update(rfcRoot(leaves.slice(k))).digest();
}

const leaves = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`command ${i}`));

describe("Merkle trees (RFC 9162)", () => {
  test("the root is RFC 9162's and every leaf's proof leads to it, for every size up to 70", () => {
    for (let n = 1; n <= 70; n++) {
      const ls = leaves(n);
      const tree = merkleTree(ls);
      assert.deepEqual(tree.root, rfcRoot(ls), `root of ${n}`);
      for (let i = 0; i < n; i++) {
        const path = tree.proof(i);
        assert.ok(path.length <= Math.ceil(Math.log2(n)), `proof of ${i} in ${n} is at most log2(n) long`);
        assert.deepEqual(rootFromInclusionProof(ls[i]!, BigInt(i), BigInt(n), path), tree.root, `leaf ${i} of ${n}`);
      }
    }
  });

  test("another leaf, index, size or path does not lead to the root", () => {
    const ls = leaves(13);
    const tree = merkleTree(ls);
    const path = tree.proof(5);
    const other = (r: Uint8Array | null): boolean => r === null || Buffer.compare(r, tree.root) !== 0;
    assert.ok(other(rootFromInclusionProof(ls[6]!, 5n, 13n, path)), "another leaf");
    assert.ok(other(rootFromInclusionProof(ls[5]!, 4n, 13n, path)), "another index");
    // (A size whose tree has the same shape around the leaf, 16, leads to the same root: the root is what is signed.)
    assert.ok(other(rootFromInclusionProof(ls[5]!, 5n, 6n, path)), "another size");
    assert.ok(other(rootFromInclusionProof(ls[5]!, 5n, 13n, [...path.slice(0, -1), path[0]!])), "a swapped hash");
    assert.equal(rootFromInclusionProof(ls[5]!, 5n, 13n, [...path, path[0]!]), null, "a hash too many");
    assert.equal(rootFromInclusionProof(ls[5]!, 13n, 13n, path), null, "an index outside the tree");
    assert.equal(rootFromInclusionProof(ls[5]!, 5n, 13n, [path[0]!.subarray(1), ...path.slice(1)]), null, "a short hash");
    // An inner node's hash is never a leaf's: the subtree over leaves 4..5 cannot pass for a leaf.
    assert.notDeepEqual(leafHash(Buffer.concat([leafHash(ls[4]!), leafHash(ls[5]!)])), merkleTree(ls.slice(4, 6)).root);
  });

  test("no tree without leaves, no proof outside the tree", () => {
    assert.throws(() => merkleTree([]), RangeError);
    assert.throws(() => merkleTree(leaves(3)).proof(3), RangeError);
  });
});
