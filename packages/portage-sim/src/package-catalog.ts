// Real Gentoo package names, by dependency tier (a package depends only on lower tiers or
// earlier entries of its own), with simulated build minutes for the heavy ones. The generator
// turns this into a tree of a few thousand ebuilds.

/** `cat/pn`, optionally `=minutes` (default: a small build), optionally `@slot1,slot2` for slotted packages. */
export const TIERS: readonly (readonly string[])[] = [
  // 0: toolchain and base libraries (what a stage3 holds)
  [
    "sys-kernel/linux-headers=2", "sys-libs/glibc=15", "sys-libs/zlib", "app-arch/xz-utils", "app-arch/bzip2", "app-arch/zstd", "app-arch/lz4",
    "sys-libs/ncurses", "sys-libs/readline", "sys-libs/libxcrypt", "dev-libs/gmp", "dev-libs/mpfr", "dev-libs/mpc", "dev-libs/isl",
    "sys-devel/binutils=6", "sys-devel/gcc=60@13,14,15", "dev-libs/libffi", "dev-libs/expat", "dev-libs/libpcre2", "sys-apps/attr",
    "sys-apps/acl", "sys-libs/libcap", "dev-libs/openssl=4", "app-misc/ca-certificates", "sys-devel/gettext=3", "virtual/libintl",
    "dev-libs/libunistring", "sys-libs/timezone-data", "app-arch/gzip", "app-arch/tar", "sys-apps/sed", "sys-apps/grep", "sys-apps/gawk",
    "sys-apps/findutils", "sys-apps/diffutils", "sys-devel/patch", "sys-devel/m4", "sys-devel/bison", "sys-devel/flex", "dev-build/make",
    "dev-build/autoconf", "dev-build/automake", "dev-build/libtool", "dev-util/pkgconf", "virtual/pkgconfig", "sys-apps/coreutils=3",
    "sys-apps/util-linux=4", "sys-apps/shadow", "sys-libs/pam", "sys-apps/baselayout", "sys-apps/file", "sys-apps/less", "app-shells/bash=2",
  ],
  // 1: languages, build systems and core libraries
  [
    "dev-lang/perl=8", "dev-lang/python=10@3.11,3.12,3.13", "dev-lang/tcl", "dev-lang/lua@5.1,5.4", "dev-libs/libxml2", "dev-libs/libxslt",
    "dev-libs/icu=12", "dev-db/sqlite=3", "dev-libs/glib=5", "dev-libs/libevent", "dev-libs/libuv", "dev-libs/libyaml", "dev-libs/jansson",
    "dev-libs/nettle", "dev-libs/libtasn1", "net-dns/libidn2", "net-libs/gnutls=5", "dev-libs/libgpg-error", "dev-libs/libgcrypt",
    "dev-libs/libassuan", "dev-libs/libksba", "dev-libs/npth", "net-libs/nghttp2", "net-libs/nghttp3", "net-dns/c-ares", "net-misc/curl=3",
    "dev-build/cmake=8", "dev-build/ninja", "dev-build/meson", "dev-python/setuptools", "dev-python/wheel", "dev-python/packaging",
    "dev-python/certifi", "dev-python/idna", "dev-python/urllib3", "dev-python/charset-normalizer", "dev-python/requests", "dev-python/six",
    "dev-python/pyyaml", "dev-python/markupsafe", "dev-python/jinja2", "dev-python/cryptography=6", "dev-python/cffi", "dev-python/pycparser",
    "dev-python/lxml", "dev-python/pygments", "dev-python/docutils", "dev-python/typing-extensions", "dev-python/attrs", "dev-python/pluggy",
    "dev-libs/boost=25", "dev-cpp/abseil-cpp=6", "dev-libs/protobuf=8", "dev-libs/libfmt", "dev-libs/spdlog", "dev-libs/double-conversion",
    "sys-apps/kmod", "sys-process/procps", "sys-apps/iproute2", "net-misc/iputils", "sys-apps/dbus", "sys-apps/systemd-utils=6",
    "sys-apps/openrc", "sys-apps/sysvinit", "sys-libs/libseccomp", "dev-libs/libnl", "net-libs/libmnl", "net-libs/libnftnl", "sys-libs/e2fsprogs-libs",
    "dev-libs/lzo", "app-arch/libarchive", "dev-libs/libtommath", "dev-libs/oniguruma", "dev-libs/libedit", "sys-libs/talloc", "sys-libs/tdb",
    "dev-libs/elfutils", "dev-util/patchelf", "app-text/asciidoc", "app-text/xmlto", "app-text/docbook-xml-dtd", "app-text/docbook-xsl-stylesheets",
  ],
  // 2: system services and everyday tools
  [
    "net-misc/openssh=3", "app-admin/sudo", "app-editors/vim=3", "app-editors/vim-core", "app-editors/nano", "app-editors/emacs=12",
    "dev-vcs/git=4", "dev-vcs/subversion=5", "app-misc/tmux", "app-misc/screen", "app-shells/zsh", "app-shells/fish", "net-misc/rsync",
    "net-misc/wget", "app-admin/sysklogd", "app-admin/syslog-ng", "app-admin/rsyslog", "sys-process/cronie", "sys-process/htop",
    "sys-process/lsof", "sys-process/psmisc", "app-portage/gentoolkit", "app-portage/eix", "app-portage/portage-utils", "sys-apps/portage=4",
    "app-crypt/gnupg=4", "app-crypt/pinentry", "app-crypt/mit-krb5", "net-nds/openldap=5", "sys-auth/sssd", "www-servers/nginx=3",
    "www-servers/apache=4", "www-servers/lighttpd", "dev-db/postgresql=12@15,16,17", "dev-db/mariadb=20", "dev-db/redis", "dev-db/valkey",
    "dev-db/mongodb=90", "net-dns/bind=6", "net-dns/unbound", "net-dns/dnsmasq", "net-mail/dovecot=5", "mail-mta/postfix=4", "mail-mta/exim",
    "app-admin/logrotate", "sys-apps/smartmontools", "sys-fs/lvm2", "sys-fs/mdadm", "sys-fs/e2fsprogs", "sys-fs/xfsprogs", "sys-fs/btrfs-progs",
    "sys-fs/zfs=8", "sys-fs/cryptsetup", "sys-fs/dosfstools", "net-firewall/iptables", "net-firewall/nftables", "net-misc/chrony", "net-misc/ntp",
    "net-misc/dhcpcd", "net-misc/networkmanager=6", "net-wireless/wpa_supplicant", "net-wireless/iwd", "sys-boot/grub=5", "sys-kernel/dracut",
    "sys-kernel/installkernel", "sys-kernel/gentoo-kernel-bin", "app-containers/containerd=6", "app-containers/runc", "app-containers/docker=10",
    "app-containers/podman=8", "app-containers/buildah", "app-emulation/qemu=25", "app-emulation/libvirt=10", "dev-lang/go=12", "dev-lang/rust=100",
    "dev-lang/ruby=6@3.2,3.3", "dev-lang/php=10", "net-libs/nodejs=30", "dev-java/openjdk=60", "dev-lang/erlang=15", "dev-lang/elixir",
    "net-analyzer/nmap", "net-analyzer/tcpdump", "net-analyzer/netcat", "net-analyzer/mtr", "net-analyzer/iftop", "net-analyzer/net-snmp",
    "net-analyzer/zabbix=8", "net-analyzer/nagios-plugins", "app-metrics/prometheus=6", "app-metrics/node_exporter", "app-metrics/alertmanager",
    "app-admin/ansible-core", "app-admin/salt", "app-admin/puppet", "app-admin/terraform=6", "app-admin/vault=8", "app-admin/consul=6",
    "sys-cluster/kubectl=5", "sys-cluster/k3s=8", "app-misc/jq", "app-misc/yq", "app-text/tree", "sys-apps/ripgrep=3", "sys-apps/fd",
    "app-misc/mc", "app-arch/p7zip", "app-arch/unzip", "app-arch/zip", "app-arch/pigz", "sys-apps/pv", "net-ftp/lftp", "net-misc/socat",
    "net-vpn/wireguard-tools", "net-vpn/openvpn", "net-vpn/strongswan", "net-proxy/haproxy", "net-proxy/squid=5", "net-proxy/privoxy",
    "www-apps/nextcloud", "www-apps/gitea=6", "dev-db/pgbouncer", "dev-python/psycopg", "dev-python/django", "dev-python/flask",
    "dev-python/numpy=8", "dev-python/pandas=12", "dev-python/scipy=20", "dev-python/pytest", "dev-python/black", "dev-python/mypy",
    "dev-ruby/rails", "dev-ruby/bundler", "dev-php/composer", "app-backup/borgbackup", "app-backup/restic", "app-backup/bacula=6",
    "sys-apps/lm-sensors", "sys-power/acpid", "sys-apps/pciutils", "sys-apps/usbutils", "sys-apps/dmidecode", "sys-apps/ethtool", "sys-apps/hdparm",
    "net-fs/nfs-utils", "net-fs/samba=20", "net-fs/cifs-utils", "sys-fs/fuse", "sys-fs/sshfs", "net-misc/mosh", "app-text/pandoc-bin",
  ],
  // 3: graphics, desktop and the big builds only some nodes want
  [
    "x11-libs/libX11", "x11-libs/libXext", "x11-libs/libxcb", "x11-libs/cairo=3", "x11-libs/pango=3", "x11-libs/gtk+=15@2,3",
    "gui-libs/gtk=15", "x11-libs/libdrm", "media-libs/mesa=25", "media-libs/libpng", "media-libs/libjpeg-turbo", "media-libs/tiff",
    "media-libs/libwebp", "media-libs/freetype", "media-libs/fontconfig", "media-libs/harfbuzz=4", "media-libs/libva", "media-libs/alsa-lib",
    "media-sound/pulseaudio", "media-video/pipewire=8", "media-libs/libvpx=6", "media-libs/x264", "media-libs/x265=5", "media-libs/dav1d",
    "media-video/ffmpeg=15", "media-gfx/imagemagick=6", "media-gfx/graphviz=6", "x11-base/xorg-server=10", "dev-qt/qtbase=40@6",
    "dev-qt/qtdeclarative=30@6", "dev-qt/qtwebengine=300@6", "dev-qt/qtsvg@6", "kde-frameworks/kcoreaddons@6", "kde-plasma/plasma-workspace=25",
    "kde-apps/konsole", "kde-apps/dolphin", "xfce-base/xfce4-meta", "gnome-base/gnome-shell=12", "llvm-core/llvm=120@18,19,20",
    "llvm-core/clang=100@18,19,20", "llvm-core/lld@18,19,20", "dev-lang/zig=30", "net-libs/webkit-gtk=200", "www-client/firefox=180",
    "www-client/chromium=420", "mail-client/thunderbird=170", "app-office/libreoffice=300", "media-gfx/gimp=20", "media-gfx/inkscape=25",
    "media-gfx/blender=90", "media-video/vlc=15", "media-video/mpv", "media-video/obs-studio=20", "games-util/steam-launcher", "app-text/texlive-core=40",
    "sci-libs/openblas=10", "sci-libs/lapack", "sci-libs/hdf5=8", "sci-libs/netcdf", "sci-mathematics/octave=30", "sci-libs/tensorflow=400",
    "sci-libs/pytorch=350", "dev-util/nvidia-cuda-toolkit=5", "x11-drivers/nvidia-drivers=5", "app-emulation/virtualbox=60", "sys-devel/crossdev",
    "dev-util/valgrind=8", "dev-debug/gdb=12", "dev-util/perf=6", "dev-util/strace", "dev-util/ltrace", "dev-util/bpftrace=15", "dev-util/bcc=20",
  ],
];

/** Common USE flags, the first ones default-enabled more often. */
export const FLAG_POOL = [
  "ssl", "ipv6", "nls", "zstd", "lzma", "bzip2", "readline", "pam", "acl", "xattr", "threads", "unicode", "systemd", "doc", "test",
  "static-libs", "debug", "examples", "X", "wayland", "gtk", "qt6", "dbus", "kerberos", "ldap", "sasl", "caps", "seccomp", "lto", "pgo",
  "jit", "http2", "http3", "brotli", "idn", "gnutls", "gnutls-compat", "sqlite", "postgres", "mysql", "lua", "perl", "ruby", "tcl", "selinux",
  "audit", "bash-completion", "zsh-completion", "man", "policykit", "udev", "snmp", "geoip", "jemalloc", "tcmalloc",
] as const;

/** Licences real Gentoo packages carry. */
export const LICENSES = ["GPL-2", "GPL-2+", "GPL-3", "GPL-3+", "LGPL-2.1+", "LGPL-3", "MIT", "BSD", "BSD-2", "Apache-2.0", "MPL-2.0", "ISC", "ZLIB", "OpenSSL", "PSF-2", "Artistic"] as const;

export interface CatalogEntry {
  readonly cp: string;
  readonly tier: number;
  /** Position in its tier: dependencies point at lower tiers or earlier positions. */
  readonly index: number;
  readonly buildMinutes: number | null;
  readonly slots: readonly string[];
}

export function catalog(): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  TIERS.forEach((names, tier) => {
    names.forEach((spec, index) => {
      const m = /^([^=@]+)(?:=(\d+))?(?:@(.+))?$/.exec(spec)!;
      out.push({ cp: m[1]!, tier, index, buildMinutes: m[2] === undefined ? null : Number(m[2]), slots: m[3] === undefined ? [] : m[3].split(",") });
    });
  });
  return out;
}
