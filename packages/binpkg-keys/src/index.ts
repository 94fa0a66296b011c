// Public surface of @binfleet/binpkg-keys: the OpenPGP keys binpkgs are signed with and Portage trusts.
export type { SigningIdentity } from "./binpkg-keys.js";
export { FINGERPRINT_PATTERN, createSigningKey, distrustSigningKey, ensureSigningKey, gpgHomeProblem, listSigningKeys, signingIdentity, trustSigningKey } from "./binpkg-keys.js";
