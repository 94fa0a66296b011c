// npm run dist: prints where the release went and what its bundles contain.
import { makeRelease } from "./make-release.js";

const r = await makeRelease();
process.stdout.write(`>>> ${r.tarball}\n>>> ${r.tree}\n>>> bundled: ${[...r.licenses].map(([p, l]) => `${p} (${l})`).join(", ")}\n`);
