import { hash } from "node:crypto";

/**
 * RFC 9162 (Certificate Transparency v2) Merkle trees over SHA-256: what lets one signature cover
 * a batch of commands while each node receives only its own command and a proof of log2(n) hashes.
 * Leaves and inner nodes are hashed with different prefixes (0x00, 0x01), so no inner node can pass
 * for a leaf.
 */

export const MERKLE_HASH_BYTES = 32;

/** The deepest proof accepted: a tree of 2^64 leaves is far beyond any batch. */
const MAX_PATH = 64;

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);

const sha256 = (...parts: Uint8Array[]): Uint8Array => hash("sha256", Buffer.concat(parts), "buffer");

export const leafHash = (leaf: Uint8Array): Uint8Array => sha256(LEAF, leaf);
const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(NODE, left, right);

/** A tree built over its leaves: its root and each leaf's inclusion proof (sibling hashes, leaf upwards). */
export interface MerkleTree {
  readonly size: number;
  readonly root: Uint8Array;
  proof(index: number): Uint8Array[];
}

/**
 * Builds the tree bottom-up, pairing left to right and carrying a level's odd last node up
 * unchanged: the same root as RFC 9162's split at the largest power of two below n.
 */
export function merkleTree(leaves: readonly Uint8Array[]): MerkleTree {
  if (leaves.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  const levels: Uint8Array[][] = [leaves.map(leafHash)];
  for (let level = levels[0]!; level.length > 1; ) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    levels.push(up);
    level = up;
  }
  return {
    size: leaves.length,
    root: levels.at(-1)![0]!,
    proof(index: number): Uint8Array[] {
      if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`no leaf ${index} in a tree of ${leaves.length}`);
      const path: Uint8Array[] = [];
      for (let l = 0, i = index; l < levels.length - 1; l++, i >>= 1) {
        const sibling = levels[l]![i ^ 1];
        // A carried-up node has no sibling at this level.
        if (sibling !== undefined) path.push(sibling);
      }
      return path;
    },
  };
}

/**
 * The root a leaf's inclusion proof leads to (RFC 9162 §2.1.3.2), or null when the proof cannot
 * belong to a tree of that size (wrong length, an index outside it, a hash of the wrong size).
 */
export function rootFromInclusionProof(leaf: Uint8Array, index: bigint, size: bigint, path: readonly Uint8Array[]): Uint8Array | null {
  if (index < 0n || index >= size || path.length > MAX_PATH || path.some((p) => p.length !== MERKLE_HASH_BYTES)) return null;
  let fn = index;
  let sn = size - 1n;
  let r = leafHash(leaf);
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}
