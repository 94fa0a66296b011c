// Public surface of @binfleet/binpkg-keys: the OpenPGP keys binpkgs are signed with and Portage trusts.
export type { SigningIdentity } from "./binpkg-keys.js";
export { FINGERPRINT_PATTERN, createSigningKey, ensureSigningKey, gpgHomeProblem, listSigningKeys, signingIdentity } from "./binpkg-keys.js";
export { distrustSigningKey, ensureTrustAnchor, keyValidity, trustSigningKey } from "./portage-keyring.js";
