# Copyright 2026 binfleet authors
# Distributed under the terms of the Apache License 2.0

EAPI=8

DESCRIPTION="binfleet: build every binary package a Gentoo fleet needs once, serve it, roll it out"
HOMEPAGE="https://github.com/binfleet/binfleet"
SRC_URI="https://github.com/binfleet/binfleet/releases/download/v${PV}/binfleet-${PV}.tar.gz"
S="${WORKDIR}/binfleet-${PV}"

LICENSE="Apache-2.0 BSD ISC MIT Unlicense"
SLOT="0"
KEYWORDS="~amd64 ~arm64 ~x86"
# coordinator: the binhost daemon and its builders; without it, only the binfleet CLI (an ops laptop).
IUSE="+coordinator"
RESTRICT="strip"

RDEPEND="
	>=net-libs/nodejs-20
	coordinator? (
		acct-group/binfleet
		acct-user/binfleet
		app-arch/zstd
		app-crypt/gnupg
		net-misc/nats-server
		net-misc/rsync
		sys-apps/bubblewrap
		sys-apps/portage
	)
"

# Each program is one bundle kept under its .mjs name, so node loads it as an ES module at once; bin/ links to it.
binfleet_program() {
	exeinto /usr/libexec/binfleet
	doexe "libexec/binfleet/${1}.mjs"
	dosym -r "/usr/libexec/binfleet/${1}.mjs" "/usr/bin/${1}"
}

src_install() {
	binfleet_program binfleet
	binfleet_program binfleet-portage
	doman share/man/man1/binfleet.1
	insinto /usr/share/bash-completion/completions
	doins share/bash-completion/completions/binfleet
	insinto /usr/share/zsh/site-functions
	doins share/zsh/site-functions/_binfleet

	if use coordinator; then
		binfleet_program binfleet-coordinator
		doman share/man/man8/binfleet-coordinator.8
		for svc in binfleet-coordinator binfleet-builder; do
			newinitd init/openrc/init.d/${svc} ${svc}
			newconfd init/openrc/conf.d/${svc} ${svc}
		done
		insinto /usr/lib/systemd/system
		doins init/systemd/binfleet-coordinator.service init/systemd/binfleet-builder.service
		insinto /etc/binfleet
		newins etc/binfleet/coordinator.json.example coordinator.json.example
		newins etc/binfleet/builder.json.example builder.json.example
		insinto /etc/logrotate.d
		doins etc/logrotate.d/binfleet
		keepdir /var/lib/binfleet /var/log/binfleet /var/cache/binfleet
		fowners binfleet:binfleet /var/lib/binfleet /var/log/binfleet /var/cache/binfleet
		fperms 0750 /var/lib/binfleet /var/log/binfleet
	fi
	dodoc README.md THIRD-PARTY-LICENSES
}

pkg_postinst() {
	if use coordinator; then
		elog "Make a builder root per platform from a stage3 (see README: Builder roots), list them"
		elog "in /etc/binfleet/coordinator.json, then start binfleet-coordinator and binfleet-builder."
		elog "The admin token is written to /var/lib/binfleet/admin.token on first start."
	fi
}
