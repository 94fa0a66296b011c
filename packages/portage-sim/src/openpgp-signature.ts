// OpenPGP signatures (RFC 4880, EdDSA per RFC 4880bis) made in the process, the way gpg 2.2 makes
// them with an Ed25519 key: a detached armored signature, or a clear-signed text.
//
// A simulated build asked gpg for three signatures per binary package; on a test machine those are
// hundreds of processes. The simulator takes the key gpg exports (once per run) and makes the same
// packets itself: version 4, issuer fingerprint and creation time hashed, issuer key ID unhashed,
// as gpg writes them. Any other key (RSA, a subkey that signs, a protected secret) stays with gpg.
import { type KeyObject, createHash, createPrivateKey, createPublicKey, sign } from "node:crypto";

const ED25519_OID = Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01]);
const EDDSA = 22;
/**
 * OpenPGP hash algorithm ids of the digests made here: SHA512 (Portage's default
 * BINPKG_GPG_SIGNING_DIGEST) and SHA256, the two the tests check against gpg; others are gpg's.
 */
const HASHES: Readonly<Record<string, { readonly id: number; readonly node: string }>> = {
  SHA256: { id: 8, node: "sha256" },
  SHA512: { id: 10, node: "sha512" },
};

/** An unprotected Ed25519 primary key, as `gpg --export-secret-keys` writes it. */
export interface OpenPgpSigningKey {
  /** v4 fingerprint, upper-case hex. */
  readonly fingerprint: string;
  readonly privateKey: KeyObject;
}

/** A signature made: the armored text and what gpg --verify reports of it (VALIDSIG's fields). */
export interface OpenPgpSignature {
  readonly armored: Buffer;
  readonly hashAlgorithm: number;
  readonly signatureClass: "00" | "01";
}

/** Reads one packet's header at `at`: tag, body start and end, or null when it does not fit. */
function packetAt(buf: Buffer, at: number): { tag: number; body: number; end: number } | null {
  const ctb = buf[at];
  if (ctb === undefined || (ctb & 0x80) === 0) return null;
  let tag: number;
  let body: number;
  let len: number;
  if ((ctb & 0x40) !== 0) {
    tag = ctb & 0x3f;
    const o = buf[at + 1];
    if (o === undefined) return null;
    if (o < 192) [body, len] = [at + 2, o];
    else if (o < 224) [body, len] = [at + 3, ((o - 192) << 8) + (buf[at + 2] ?? 0) + 192];
    else if (o === 255 && at + 6 <= buf.length) [body, len] = [at + 6, buf.readUInt32BE(at + 2)];
    else return null;
  } else {
    tag = (ctb >> 2) & 0x0f;
    const lt = ctb & 3;
    if (lt === 3) return null;
    const n = 1 << lt;
    if (at + 1 + n > buf.length) return null;
    [body, len] = [at + 1 + n, buf.readUIntBE(at + 1, n)];
  }
  return body + len > buf.length ? null : { tag, body, end: body + len };
}

/** An MPI at `at`: its bytes and where the next field starts, or null. */
function mpiAt(buf: Buffer, at: number, end: number): { bytes: Buffer; next: number } | null {
  if (at + 2 > end) return null;
  const next = at + 2 + Math.ceil(buf.readUInt16BE(at) / 8);
  return next > end ? null : { bytes: buf.subarray(at + 2, next), next };
}

/**
 * The signing key in gpg's binary export, when it is an unprotected Ed25519 primary key without
 * secret subkeys (so that the primary is what signs); null for anything else.
 */
export function readExportedSigningKey(exported: Buffer): OpenPgpSigningKey | null {
  const first = packetAt(exported, 0);
  if (first === null || first.tag !== 5) return null;
  for (let p = packetAt(exported, first.end); p !== null; p = packetAt(exported, p.end)) if (p.tag === 7) return null;
  const { body, end } = first;
  if (exported[body] !== 4 || exported[body + 5] !== EDDSA) return null;
  const oidLength = exported[body + 6] ?? 0;
  if (!exported.subarray(body + 7, body + 7 + oidLength).equals(ED25519_OID)) return null;
  const q = mpiAt(exported, body + 7 + oidLength, end);
  // The public point: 0x40 then 32 bytes (native encoding); then S2K usage 0 (not protected).
  if (q === null || q.bytes.length !== 33 || q.bytes[0] !== 0x40 || exported[q.next] !== 0) return null;
  const d = mpiAt(exported, q.next + 1, end);
  if (d === null || d.bytes.length > 32) return null;
  const publicBody = exported.subarray(body, q.next);
  const header = Buffer.from([0x99, publicBody.length >> 8, publicBody.length & 0xff]);
  const fingerprint = createHash("sha1").update(header).update(publicBody).digest("hex").toUpperCase();
  const seed = Buffer.concat([Buffer.alloc(32 - d.bytes.length), d.bytes]);
  const x = q.bytes.subarray(1).toString("base64url");
  const privateKey = createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: seed.toString("base64url"), x }, format: "jwk" });
  // The JWK import does not check that the public point belongs to the secret: a key that would
  // sign as another is not used.
  if (createPublicKey(privateKey).export({ format: "jwk" }).x !== x) return null;
  return { fingerprint, privateKey };
}

const subpacket = (type: number, data: Buffer): Buffer => Buffer.concat([Buffer.from([data.length + 1, type]), data]);

/** An MPI of a big-endian byte string, leading zero bits dropped. */
function mpi(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  const bits = (v.length - 1) * 8 + (v[0] === 0 ? 0 : 32 - Math.clz32(v[0]!));
  return Buffer.concat([Buffer.from([bits >> 8, bits & 0xff]), v]);
}

/** The signature packet over `signed` (the document, or the canonical text) with class 0x00 or 0x01. */
function signaturePacket(key: OpenPgpSigningKey, signed: Buffer, sigClass: number, hash: { id: number; node: string }, created: number): Buffer {
  const fpr = Buffer.from(key.fingerprint, "hex");
  const time = Buffer.alloc(4);
  time.writeUInt32BE(created);
  const hashed = Buffer.concat([subpacket(33, Buffer.concat([Buffer.from([4]), fpr])), subpacket(2, time)]);
  const head = Buffer.concat([Buffer.from([4, sigClass, EDDSA, hash.id, hashed.length >> 8, hashed.length & 0xff]), hashed]);
  const trailer = Buffer.alloc(6);
  trailer.writeUInt16BE(0x04ff, 0);
  trailer.writeUInt32BE(head.length, 2);
  const digest = createHash(hash.node).update(signed).update(head).update(trailer).digest();
  // EdDSA in OpenPGP signs the digest; R and S are the two MPIs.
  const rs = sign(null, digest, key.privateKey);
  const unhashed = subpacket(16, fpr.subarray(12));
  const body = Buffer.concat([head, Buffer.from([0, unhashed.length]), unhashed, digest.subarray(0, 2), mpi(rs.subarray(0, 32)), mpi(rs.subarray(32))]);
  // Old-format tag 2, as gpg writes signature packets.
  return Buffer.concat([body.length < 256 ? Buffer.from([0x88, body.length]) : Buffer.from([0x89, body.length >> 8, body.length & 0xff]), body]);
}

/** CRC-24 of RFC 4880 6.1, for the armor checksum. */
function crc24(data: Buffer): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

function armor(packet: Buffer): string {
  const lines = packet.toString("base64").match(/.{1,64}/g) ?? [];
  const sum = crc24(packet);
  const crc = Buffer.from([sum >> 16, (sum >> 8) & 0xff, sum & 0xff]).toString("base64");
  return `-----BEGIN PGP SIGNATURE-----\n\n${lines.join("\n")}\n=${crc}\n-----END PGP SIGNATURE-----\n`;
}

/** `gpg --armor --detach-sig` of `data`; null when the digest is not one OpenPGP names. */
export function detachedSignature(key: OpenPgpSigningKey, data: Buffer, digest: string, created: number): OpenPgpSignature | null {
  const hash = HASHES[digest.toUpperCase()];
  if (hash === undefined) return null;
  return { armored: Buffer.from(armor(signaturePacket(key, data, 0x00, hash, created))), hashAlgorithm: hash.id, signatureClass: "00" };
}

/**
 * `gpg --clear-sign` of `text`: lines dash-escaped where they start with "-" or "From ", the line
 * ending before the signature not signed, the signed text with trailing blanks cut and CRLF line
 * endings (a canonical text signature, class 0x01). Bytes are kept as they are (latin1 both ways),
 * whatever their encoding, as gpg keeps them.
 */
export function clearSignature(key: OpenPgpSigningKey, text: Buffer, digest: string, created: number): OpenPgpSignature | null {
  const hash = HASHES[digest.toUpperCase()];
  if (hash === undefined) return null;
  const lines = text.toString("latin1").split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const canonical = Buffer.from(lines.map((l) => l.replace(/[ \t\r]+$/, "")).join("\r\n"), "latin1");
  const shown = lines.map((l) => (l.startsWith("-") || l.startsWith("From ") ? `- ${l}` : l)).join("\n");
  const armored = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: ${digest.toUpperCase()}\n\n${shown}\n${armor(signaturePacket(key, canonical, 0x01, hash, created))}`;
  return { armored: Buffer.from(armored, "latin1"), hashAlgorithm: hash.id, signatureClass: "01" };
}
