#!/bin/bash
# make install and make deb (mk/install.mk, tools/mkdeb.sh): the package
# builds with Debian's tools, installs into a scratch root with dpkg
# --root, its tcctl, tcsegd and tcseg-cni run from there and say their
# version, its man pages render, its unit starts the installed daemon,
# and dpkg removes it again; make install honours PREFIX and DESTDIR.
set -uo pipefail
. "$(dirname "$0")/../lib/testlib.sh"

W=$(mktemp -d /tmp/tcseg-pkg.XXXXXX)
trap 'rm -rf "$W"' EXIT
R=$W/root

if ! deb=$(make -C "$TCSEG_ROOT" --no-print-directory BUILD="$TCSEG_BUILD" \
	   deb 2>"$W/build.log" | tail -n 1) || [ ! -f "$deb" ]; then
	t_fail deb_builds "$(tail -n 3 "$W/build.log" | tr '\n' ' ')"
	exit 1
fi
t_pass deb_builds

deps=$(dpkg-deb -f "$deb" Depends)
[[ $deps == *"libbpf1 (>= 1:1.1.0)"* && $deps == *libjansson4* ]] &&
	t_pass deb_depends || t_fail deb_depends "Depends: $deps"

# a scratch root with an empty dpkg database; the libraries come from
# this machine (their packages are the Depends above)
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: >"$R/var/lib/dpkg/status"
if dpkg --root="$R" --force-depends --force-script-chrootless -i "$deb" \
	>"$W/dpkg.log" 2>&1; then
	t_pass deb_installs_into_scratch_root
else
	t_fail deb_installs_into_scratch_root "$(tail -n 2 "$W/dpkg.log" | tr '\n' ' ')"
fi

v=$("$R/usr/sbin/tcctl" --version 2>&1)
[[ $v == "tcctl 0.1.0 (libbpf "* ]] && t_pass installed_tcctl_version ||
	t_fail installed_tcctl_version "'$v'"
v=$("$R/usr/sbin/tcsegd" -V 2>&1)
[[ $v == "tcsegd 0.1.0 (libbpf "* ]] && t_pass installed_tcsegd_version ||
	t_fail installed_tcsegd_version "'$v'"
v=$(env -i CNI_COMMAND=VERSION "$R/usr/lib/cni/tcseg-cni" </dev/null)
[[ $v == *'"supportedVersions"'* ]] && t_pass installed_cni_plugin ||
	t_fail installed_cni_plugin "'$v'"

ok=1
for m in tcctl tcsegd; do
	man -l "$R/usr/share/man/man8/$m.8.gz" 2>/dev/null | grep -q "^NAME" || ok=0
done
[ $ok = 1 ] && t_pass man_pages_render || t_fail man_pages_render "man -l failed"

exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$R/lib/systemd/system/tcsegd.service")
kp=$(sed -n 's/^Environment=TCSEG_KP_DIR=//p' "$R/lib/systemd/system/tcsegd.service")
[ "$exe" = /usr/sbin/tcsegd ] && [ -x "$R$exe" ] &&
	[ -f "$R$kp/libtcseg_kp_openssl.so" ] && t_pass unit_starts_installed_daemon ||
	t_fail unit_starts_installed_daemon "ExecStart '$exe', TCSEG_KP_DIR '$kp'"

dpkg --root="$R" --force-script-chrootless -r tcseg >"$W/rm.log" 2>&1
[ ! -e "$R/usr/sbin/tcctl" ] && [ ! -e "$R/usr/lib/cni/tcseg-cni" ] &&
	t_pass deb_removes_cleanly || t_fail deb_removes_cleanly "files left"

make -C "$TCSEG_ROOT" --no-print-directory BUILD="$TCSEG_BUILD" \
	PREFIX=/opt/tcseg DESTDIR="$W/inst" install >"$W/inst.log" 2>&1
if [ -x "$W/inst/opt/tcseg/sbin/tcctl" ] && [ -x "$W/inst/usr/lib/cni/tcseg-cni" ] &&
   grep -q '^ExecStart=/opt/tcseg/sbin/tcsegd ' "$W/inst/lib/systemd/system/tcsegd.service"; then
	t_pass install_prefix_destdir
else
	t_fail install_prefix_destdir "$(find "$W/inst" -type f | head -n 5 | tr '\n' ' ')"
fi
t_done
