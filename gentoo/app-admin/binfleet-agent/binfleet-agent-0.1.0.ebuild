# Copyright 2026 binfleet authors
# Distributed under the terms of the Apache License 2.0

EAPI=8

DESCRIPTION="binfleet node agent: reports packages and needs, runs the binhost's signed commands"
HOMEPAGE="https://github.com/binfleet/binfleet"
SRC_URI="https://github.com/binfleet/binfleet/releases/download/v${PV}/binfleet-${PV}.tar.gz"
S="${WORKDIR}/binfleet-${PV}"

# binfleet, and the npm packages bundled into its programs (THIRD-PARTY-LICENSES lists them).
LICENSE="Apache-2.0 BSD ISC MIT Unlicense"
SLOT="0"
KEYWORDS="~amd64 ~arm64 ~x86"
# Self-contained bundles: nothing to compile, nothing to strip.
RESTRICT="strip"

# The agent runs emerge and keeps Portage's binpkg keyring with gpg; node runs the bundle.
RDEPEND="
	>=net-libs/nodejs-20
	app-crypt/gnupg
	sys-apps/portage
"

src_install() {
	# The bundle keeps its .mjs name, so node loads it as an ES module at once; bin/ links to it.
	exeinto /usr/libexec/binfleet
	doexe libexec/binfleet/binfleet-agent.mjs
	dosym -r /usr/libexec/binfleet/binfleet-agent.mjs /usr/bin/binfleet-agent

	doman share/man/man8/binfleet-agent.8

	newinitd init/openrc/init.d/binfleet-agent binfleet-agent
	newconfd init/openrc/conf.d/binfleet-agent binfleet-agent
	insinto /usr/lib/systemd/system
	doins init/systemd/binfleet-agent.service

	insinto /etc/binfleet
	newins etc/binfleet/agent.json.example agent.json.example
	insinto /etc/logrotate.d
	doins etc/logrotate.d/binfleet-agent
	keepdir /var/lib/binfleet /var/log/binfleet
	fperms 0750 /var/lib/binfleet /var/log/binfleet

	dodoc README.md THIRD-PARTY-LICENSES
}

pkg_postinst() {
	elog "Enroll this node on the binhost (binfleet enroll NODE --out FILE), copy the bundle here, then:"
	elog "  binfleet-agent enroll --bundle FILE"
	elog "  rc-service binfleet-agent start   (or: systemctl enable --now binfleet-agent)"
}
