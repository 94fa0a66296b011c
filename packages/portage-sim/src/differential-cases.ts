// Test support: node states and emerge command lines that real-portage-differential.test.ts runs
// through real Portage and through portage-sim. States start from the lab's tiny repository (plus
// EXTRA_EBUILDS) and vdb captures; `${LAB_BINHOST}` is the lab's captured gpkg index, served as the
// lab served it (`${LAB304_BINHOST}` the same with Last-Modified on its 304s, as binfleet's binhost
// answers), `${BUILDER_BINHOST}` a PKGDIR a real Portage builder made (BUILDS).

/** An ebuild like the tiny repository's: installs one text file, builds in well under a second. */
function ebuild(o: { desc: string; keywords?: string; iuse?: string; slot?: string; rdepend?: string; depend?: string; bdepend?: string }): string {
  const deps = [o.rdepend ? `RDEPEND="${o.rdepend}"\n` : "", o.depend ? `DEPEND="${o.depend}"\n` : "", o.bdepend ? `BDEPEND="${o.bdepend}"\n` : ""].join("");
  return `# Copyright 2026 binfleet tests
# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="${o.desc}"
HOMEPAGE="https://example.invalid/binfleet"
S="\${WORKDIR}/\${P}"

LICENSE="MIT"
SLOT="${o.slot ?? "0"}"
KEYWORDS="${o.keywords ?? "amd64"}"
IUSE="${o.iuse ?? ""}"
${deps}
src_unpack() { mkdir -p "\${S}" || die; }
src_install() {
	insinto /usr/share/\${PN}
	echo "\${PF} USE=\${USE}" > "\${T}/\${PN}.txt" || die
	doins "\${T}/\${PN}.txt"
}
`;
}

/** What the covered cases need beyond the tiny repository: a testing-only package, a chain with build deps, broken and USE deps. */
export const EXTRA_EBUILDS: Readonly<Record<string, string>> = {
  "app-misc/unstable/unstable-1.0.ebuild": ebuild({ desc: "Only in testing", keywords: "~amd64" }),
  "app-misc/needs-unstable/needs-unstable-1.0.ebuild": ebuild({ desc: "Needs a testing package", rdepend: "app-misc/unstable" }),
  "dev-libs/libbase/libbase-1.0.ebuild": ebuild({ desc: "Bottom of a chain" }),
  "dev-libs/libbase/libbase-1.1.ebuild": ebuild({ desc: "Bottom of a chain" }),
  "dev-libs/libmid/libmid-1.0.ebuild": ebuild({ desc: "Middle of a chain", rdepend: ">=dev-libs/libbase-1.0", depend: ">=dev-libs/libbase-1.0" }),
  "app-misc/stack/stack-1.0.ebuild": ebuild({ desc: "Top of a chain", iuse: "+mid", rdepend: "mid? ( dev-libs/libmid ) app-misc/hello", bdepend: "app-misc/oldtool" }),
  "app-misc/broken/broken-1.0.ebuild": ebuild({ desc: "Depends on nothing that exists", rdepend: "app-misc/doesnotexist" }),
  "app-misc/needs-ssl/needs-ssl-1.0.ebuild": ebuild({ desc: "Needs libdemo with ssl", rdepend: "dev-libs/libdemo:0[ssl]" }),
};

/** The builder's emerge runs whose PKGDIR is `${BUILDER_BINHOST}`: libdemo with its default USE (-ssl), so nodes with ssl refuse it. */
export const BUILDS: readonly (readonly string[])[] = [["--buildpkgonly", "--oneshot", "=app-misc/hello-1.1", "=dev-libs/libdemo-1.0", "app-misc/newtool"]];

export interface NodeState {
  /** A vdb captured from real Portage in the lab (../shared/fixtures/portage/vdb/…), or none. */
  readonly vdb: "node-initial" | "node-after-update" | null;
  readonly world: readonly string[];
  /** Files by path on the node; `${LAB_BINHOST}` and `${BUILDER_BINHOST}` are replaced by the binhosts' URLs. */
  readonly files: Readonly<Record<string, string>>;
  /** Fetch the binhost index once before the cases, so both tools find it cached (environment for that run). */
  readonly prime?: Readonly<Record<string, string>>;
}

export interface DiffCase {
  readonly name: string;
  readonly state: string;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

const lines = (...l: string[]): string => l.map((x) => `${x}\n`).join("");
const WORLD = ["app-misc/demo-app", "app-misc/hello", "app-misc/newtool", "app-misc/rcpkg", "dev-libs/libdemo:0", "dev-libs/libdemo:2"];
const SSL = { "/etc/portage/package.use/binfleet": lines("dev-libs/libdemo ssl") };
const binrepos = (uri: string): Record<string, string> => ({
  "/etc/portage/binrepos.conf/binfleet.conf": lines("[binfleet]", "priority = 10", `sync-uri = ${uri}`, "verify-signature = false"),
});

export const STATES: Readonly<Record<string, NodeState>> = {
  before: { vdb: "node-initial", world: WORLD, files: SSL, prime: { PORTAGE_BINHOST: "${LAB_BINHOST}" } },
  builder: { vdb: "node-initial", world: WORLD, files: { ...SSL, ...binrepos("${BUILDER_BINHOST}") }, prime: {} },
  nossl: { vdb: "node-initial", world: ["app-misc/demo-app", "app-misc/hello", "dev-libs/libdemo:0"], files: { "/etc/portage/package.use/binfleet": lines("app-misc/demo-app ssl") } },
  after: { vdb: "node-after-update", world: WORLD, files: { ...SSL, ...binrepos("${LAB_BINHOST}") }, prime: {} },
  lab304: { vdb: "node-initial", world: WORLD, files: { ...SSL, ...binrepos("${LAB304_BINHOST}") }, prime: {} },
  masked: { vdb: "node-after-update", world: WORLD, files: { ...SSL, "/etc/portage/package.mask/binfleet": lines("# hello 1.1 breaks things", ">=app-misc/hello-1.1") } },
  keywords: { vdb: "node-after-update", world: WORLD, files: { ...SSL, "/etc/portage/package.accept_keywords/binfleet": lines("app-misc/hello ~amd64", "app-misc/unstable") } },
  empty: { vdb: null, world: [], files: {} },
  /** rcpkg's REQUIRED_USE (|| of its PYTHON_TARGETS) broken, and a world entry nothing provides. */
  broken: { vdb: "node-initial", world: [...WORLD, "app-misc/gone"], files: { "/etc/portage/package.use/binfleet": lines("dev-libs/libdemo ssl", "app-misc/rcpkg -python_targets_python3_12") } },
};

const pv = ["--color=n", "--pretend", "--verbose"];
const p = ["--color=n", "--pretend"];
const uDN = ["--update", "--deep", "--newuse"];
const lab = { PORTAGE_BINHOST: "${LAB_BINHOST}" };

export const CASES: readonly DiffCase[] = [
  // verbose, non-verbose, quiet, --columns and --tree merge lists of the lab node before its update
  { name: "-pvuDN @world", state: "before", argv: [...pv, ...uDN, "@world"] },
  { name: "-puDN @world (not verbose)", state: "before", argv: [...p, ...uDN, "@world"] },
  { name: "-pquDN @world", state: "before", argv: [...p, "--quiet", ...uDN, "@world"] },
  { name: "-pqvuDN @world", state: "before", argv: [...p, "--quiet", "--verbose", ...uDN, "@world"] },
  { name: "-pvuDN --tree @world", state: "before", argv: [...pv, "--tree", ...uDN, "@world"] },
  { name: "-pvuDN --columns @world", state: "before", argv: [...pv, "--columns", ...uDN, "@world"] },
  // --emptytree merge order
  { name: "-pve @world", state: "before", argv: [...pv, "--emptytree", "@world"] },
  { name: "-pe @world (not verbose)", state: "before", argv: [...p, "--emptytree", "@world"] },
  { name: "-pve @world after the update", state: "after", argv: [...pv, "--emptytree", "@world"] },
  // binaries from a binhost: the lab's captured index (PORTAGE_BINHOST) and a real builder's (binrepos.conf)
  { name: "lab binhost: -pvuDN --getbinpkg @world", state: "before", env: lab, argv: [...pv, ...uDN, "--getbinpkg", "@world"] },
  { name: "lab binhost: --getbinpkgonly", state: "before", env: lab, argv: [...pv, ...uDN, "--getbinpkgonly", "@world"] },
  { name: "lab binhost: --getbinpkg --usepkgonly", state: "before", env: lab, argv: [...pv, ...uDN, "--getbinpkg", "--usepkgonly", "@world"] },
  { name: "lab binhost: --binpkg-respect-use=n", state: "before", env: lab, argv: [...pv, ...uDN, "--getbinpkg", "--binpkg-respect-use=n", "@world"] },
  { name: "lab binhost: --quiet", state: "before", env: lab, argv: [...p, "--quiet", ...uDN, "--getbinpkg", "@world"] },
  { name: "lab binhost: --tree", state: "before", env: lab, argv: [...pv, "--tree", ...uDN, "--getbinpkg", "@world"] },
  { name: "lab binhost: --columns", state: "before", env: lab, argv: [...pv, "--columns", ...uDN, "--getbinpkg", "@world"] },
  { name: "--usepkgonly without binaries: world problems", state: "before", argv: [...pv, ...uDN, "--usepkgonly", "@world"] },
  { name: "builder binhost: -pvuDN --getbinpkg @world", state: "builder", argv: [...pv, ...uDN, "--getbinpkg", "@world"] },
  { name: "builder binhost: --getbinpkgonly", state: "builder", argv: [...pv, ...uDN, "--getbinpkgonly", "@world"] },
  { name: "builder binhost: -pe --getbinpkg (not verbose)", state: "builder", argv: [...p, "--emptytree", "--getbinpkg", "@world"] },
  { name: "after the update: nothing to do", state: "after", argv: [...pv, ...uDN, "--getbinpkg", "@world"] },
  { name: "a 304 with Last-Modified: --verbose shows both times", state: "lab304", argv: [...pv, ...uDN, "--getbinpkg", "@world"] },
  { name: "a 304 with Last-Modified, not verbose", state: "lab304", argv: [...p, ...uDN, "--getbinpkg", "@world"] },
  // packages on the command line
  { name: "-pv app-misc/hello (upgrade)", state: "before", argv: [...pv, "app-misc/hello"] },
  { name: "-pv --noreplace app-misc/hello", state: "before", argv: [...pv, "--noreplace", "app-misc/hello"] },
  { name: "-pv hello (short name)", state: "before", argv: [...pv, "hello"] },
  { name: "-pv dev-libs/libdemo:2 (new slot)", state: "before", argv: [...pv, "dev-libs/libdemo:2"] },
  { name: "-pv app-misc/demo-app (reinstall)", state: "before", argv: [...pv, "app-misc/demo-app"] },
  { name: "-pv app-misc/newtool (soft blocker)", state: "before", argv: [...pv, "app-misc/newtool"] },
  { name: "-pv app-misc/hardtool (hard blocker)", state: "after", argv: [...pv, "app-misc/hardtool"] },
  { name: "-pv app-misc/stack (dependency chain)", state: "before", argv: [...pv, "app-misc/stack"] },
  { name: "-pv --tree app-misc/stack", state: "before", argv: [...pv, "--tree", "app-misc/stack"] },
  { name: "-pv app-misc/stack on an empty node", state: "empty", argv: [...pv, "app-misc/stack"] },
  { name: "-p three targets on an empty node", state: "empty", argv: [...p, "app-misc/hello", "app-misc/newtool", "dev-libs/libmid"] },
  { name: "-pv =app-misc/hello-1.0 (downgrade)", state: "after", argv: [...pv, "=app-misc/hello-1.0"] },
  // masked and missing atoms
  { name: "masked by keyword", state: "after", argv: [...pv, "=app-misc/hello-1.2"] },
  { name: "masked by package.mask, with its comment", state: "masked", argv: [...pv, "=app-misc/hello-1.1"] },
  { name: "missing, with similar names", state: "after", argv: [...pv, "app-misc/doesnotexist"] },
  { name: "a dependency that does not exist", state: "before", argv: [...pv, "app-misc/broken"] },
  { name: "a dependency only in testing", state: "after", argv: [...pv, "app-misc/needs-unstable"] },
  // downgrades, the keyword column (~), new slots
  { name: "package.mask forces a downgrade", state: "masked", argv: [...pv, ...uDN, "@world"] },
  { name: "keyword column: ~amd64 accepted for hello", state: "keywords", argv: [...pv, ...uDN, "@world"] },
  { name: "keyword column, not verbose", state: "keywords", argv: [...p, ...uDN, "@world"] },
  { name: "keyword column: a new testing-only package", state: "keywords", argv: [...pv, "app-misc/needs-unstable"] },
  // other options and configurations
  { name: "-pv @world (no --update)", state: "before", argv: [...pv, "@world"] },
  { name: "-pvuD @world (no --newuse)", state: "before", argv: [...pv, "--update", "--deep", "@world"] },
  { name: "--changed-use", state: "before", argv: [...pv, "--update", "--deep", "--changed-use", "@world"] },
  { name: "--exclude", state: "before", argv: [...pv, ...uDN, "--exclude", "app-misc/hello", "@world"] },
  { name: "USE from the environment", state: "before", env: { USE: "foo" }, argv: [...pv, ...uDN, "@world"] },
  { name: "--nodeps", state: "empty", argv: [...pv, "--nodeps", "app-misc/stack"] },
  { name: "--onlydeps", state: "empty", argv: [...pv, "--onlydeps", "app-misc/stack"] },
  { name: "REQUIRED_USE unmet, from @world (and a missing world entry)", state: "broken", argv: [...pv, ...uDN, "@world"] },
  { name: "REQUIRED_USE unmet, an argument", state: "broken", argv: [...p, "--quiet", "app-misc/rcpkg"] },
  // USE changes that need --autounmask (exit 1)
  { name: "autounmask: a USE dependency of an argument", state: "nossl", argv: [...pv, "app-misc/needs-ssl"] },
  { name: "autounmask: a conditional USE dependency, command line", state: "nossl", argv: [...pv, "app-misc/demo-app"] },
  { name: "autounmask: a conditional USE dependency, @world", state: "nossl", argv: [...pv, ...uDN, "@world"] },
];
