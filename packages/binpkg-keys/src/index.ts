// Public surface of @binfleet/binpkg-keys: the OpenPGP keys binpkgs are signed with and Portage trusts.
export type { SigningIdentity } from "./binpkg-keys.js";
export { ensureSigningKey, trustSigningKey } from "./binpkg-keys.js";
