#!/usr/bin/env bash
# The .deb, built and installed for real (issue 9): cpack builds it,
# lintian reports no error or warning, dpkg -i installs it into this
# machine, and then, from the installed paths only:
#   - smtpcheck --version, smtpcheck-agentx --version and --help;
#   - a check from /usr/bin/smtpcheck against the test mail stack
#     (scripts/mailstack: Postfix with STARTTLS, AUTH and a test mail);
#   - a private snmpd on 127.0.0.1:<free port> that loads the module with
#     the installed snippet's dlmod line and the installed check file
#     adapted to the mail stack's port; snmpwalk resolves the names from
#     /usr/share/snmp/mibs, given the base MIBs (SHARED_MIBS);
#   - systemd-analyze verify on the unit, man --warnings -l on each page,
#     the bash completion;
#   - dpkg -r keeps the conffile, dpkg -P removes everything.
# The package is purged at the end, also on failure, and the _smtpcheck
# user is removed if this test created it. Needs root; it refuses to run
# when smtpcheck is already installed (it would replace it).
#
# Usage: tests/package/check_package.sh BUILD_DIR [SHARED_MIBS_DIR]
#   SHARED_MIBS_DIR  default: <repo>/../shared/mibs (SNMPv2-SMI etc.), as
#                    tests/mib/check_mib.sh
# Exit status: 0 when every check passed, 1 otherwise.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: check_package.sh BUILD_DIR [SHARED_MIBS_DIR]}" && pwd) || exit 1
shared=${2:-$repo/../shared/mibs}
PKG=smtpcheck
CONFFILE=/etc/smtpcheck/smtpcheck.conf
UNIT=/lib/systemd/system/smtpcheck-agentx.service

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
die() { echo "package: $1" >&2; exit 1; }
indent() { sed 's/^/    /'; }

[ "$(id -u)" -eq 0 ] || die "needs root (dpkg -i)"
for tool in cpack dpkg dpkg-deb lintian systemd-analyze man snmpd snmpwalk python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (scripts/setup)"
done
[ -d "$shared" ] || die "shared MIB directory $shared not found"
shared=$(cd "$shared" && pwd)
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -qv 'not-installed'; then
    die "$PKG is already installed here: remove it first, this test installs and purges its own"
fi

tmp=$(mktemp -d /tmp/smtpcheck-package.XXXXXX)
chmod 755 "$tmp"
snmpd_pid=
user_existed=0
getent passwd _smtpcheck >/dev/null && user_existed=1

# dpkg does not wait for its lock; another helper's apt-get may hold it.
dpkg_locked() {
    local i out
    for i in $(seq 1 180); do
        if out=$("$@" 2>&1); then
            printf '%s\n' "$out"
            return 0
        fi
        grep -q 'lock' <<<"$out" || { printf '%s\n' "$out"; return 1; }
        sleep 5
    done
    printf '%s\n' "$out"
    return 1
}

cleanup() {
    [ -n "$snmpd_pid" ] && kill "$snmpd_pid" 2>/dev/null && wait "$snmpd_pid" 2>/dev/null
    [ -f "$tmp/stack/env" ] && "$repo/scripts/mailstack" stop "$tmp/stack" >/dev/null 2>&1
    if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -qv 'not-installed'; then
        echo "package: purging $PKG"
        dpkg_locked dpkg --purge "$PKG" >/dev/null || echo "package: could not purge $PKG" >&2
    fi
    if [ "$user_existed" -eq 0 ] && getent passwd _smtpcheck >/dev/null; then
        deluser --system --quiet _smtpcheck >/dev/null 2>&1 || userdel _smtpcheck
        getent group _smtpcheck >/dev/null && groupdel _smtpcheck
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 1. cpack builds smtpcheck_<version>_<arch>.deb.
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
deb=$tmp/out/${PKG}_${version}_${arch}.deb
if (cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) && [ -f "$deb" ]; then
    pass "cpack built $(basename "$deb") ($(stat -c %s "$deb") bytes)"
else
    fail "cpack did not build ${PKG}_${version}_${arch}.deb"
    indent <"$tmp/cpack.log"
    exit 1
fi
control=$(dpkg-deb -f "$deb")
for dep in libsnmp40 libssl3 libconfig9 libc-ares2 adduser; do
    grep -Eq "^Depends:.*\\b$dep\\b" <<<"$control" && pass "Depends: $dep" || fail "no Depends on $dep"
done
grep -q '^Recommends: snmpd$' <<<"$control" && pass "Recommends: snmpd" || fail "no Recommends: snmpd"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)" = "$CONFFILE" ] &&
    pass "conffiles: $CONFFILE" || fail "conffiles is not just $CONFFILE"

# 2. lintian: no error, no warning (informational tags are printed).
lintian --fail-on error,warning --display-info "$deb" >"$tmp/lintian.log" 2>&1
lint_rc=$?
grep -v 'running with root privileges' "$tmp/lintian.log" | indent
if [ $lint_rc -eq 0 ] && ! grep -q '^[EW]: ' "$tmp/lintian.log"; then
    pass "lintian: no errors, no warnings"
else
    fail "lintian reported errors or warnings"
fi

# 3. dpkg -i.
if dpkg_locked dpkg -i "$deb" >"$tmp/dpkg.log"; then
    pass "dpkg -i"
else
    fail "dpkg -i"
    indent <"$tmp/dpkg.log"
    exit 1
fi
missing=
while read -r path; do
    [ -e "$path" ] || missing="$missing $path"
done < <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }')
[ -z "$missing" ] && pass "every file of the package is on disk" || fail "not on disk:$missing"
getent passwd _smtpcheck >/dev/null && pass "postinst created _smtpcheck" || fail "no _smtpcheck user"

# 4. The version, from /usr/bin and /usr/sbin.
want="^smtpcheck $version( \\(git [^)]+\\))?\$"
out=$(/usr/bin/smtpcheck --version 2>&1)
[[ $out =~ $want ]] && pass "smtpcheck --version: $out" || fail "smtpcheck --version: $out"
out=$(/usr/sbin/smtpcheck-agentx --version 2>&1)
[[ $out =~ ^smtpcheck-agentx\ $version ]] && pass "smtpcheck-agentx --version: $out" ||
    fail "smtpcheck-agentx --version: $out"
if out=$(/usr/sbin/smtpcheck-agentx --help 2>&1) && grep -q -- '--version' <<<"$out"; then
    pass "smtpcheck-agentx --help"
else
    fail "smtpcheck-agentx --help: $out"
fi

# 5. A check from /usr/bin against the test mail stack: STARTTLS, AUTH,
#    a test mail.
if "$repo/scripts/mailstack" start "$tmp/stack" >"$tmp/stack.log" 2>&1; then
    # shellcheck disable=SC1091
    . "$tmp/stack/env"
    if out=$(/usr/bin/smtpcheck --json -p "$SUBMISSION_PORT" --security starttls \
        --ca-file "$CA_FILE" --user "$USER" --password-file "$PASSWORD_FILE" \
        --from "$USER" --to "$RCPT" 127.0.0.1 2>&1) && grep -q '"ok": *true' <<<"$out"; then
        pass "/usr/bin/smtpcheck: STARTTLS, AUTH and a test mail through Postfix"
    else
        fail "/usr/bin/smtpcheck against the mail stack"
        indent <<<"$out"
    fi
else
    fail "scripts/mailstack start"
    indent <"$tmp/stack.log"
fi

# 6. A private snmpd loads the installed module with the installed
#    snippet's dlmod line and the installed check file, adapted to the
#    mail stack's plain port.
snippet=/usr/share/smtpcheck/snmpd-smtpcheck.conf
dlmod=$(grep -E '^dlmod[[:space:]]' "$snippet")
module=$(awk '{ print $3 }' <<<"$dlmod")
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
if [ "$module" = "/usr/lib/$multiarch/snmp/dlmod/smtpcheck.so" ] && [ -f "$module" ]; then
    pass "the snippet's dlmod line names the installed module $module"
else
    fail "the snippet's dlmod line: ${dlmod:-none}"
fi
sed "s/^\\([[:space:]]*port = \\)25;/\\1${PLAIN_PORT:-0};/" "$CONFFILE" >"$tmp/checks.conf"
if ! cmp -s "$CONFFILE" "$tmp/checks.conf" && /usr/bin/smtpcheck --config "$tmp/checks.conf" \
    --check-config >/dev/null; then
    pass "the installed check file, adapted to port ${PLAIN_PORT:-?}, is valid"
else
    fail "could not adapt $CONFFILE to the test port"
fi
snmp_port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/snmp/persist"
{
    echo "agentaddress udp:127.0.0.1:$snmp_port"
    echo "rocommunity public 127.0.0.1"
    echo "$dlmod"
    echo "smtpcheckConfig $tmp/checks.conf"
} >"$tmp/snmp/snmpd.conf"
export SNMPCONFPATH=$tmp/snmp SNMP_PERSISTENT_DIR=$tmp/snmp/persist MIBS=
unset MIBDIRS
snmpd -f -C -c "$tmp/snmp/snmpd.conf" -Lf "$tmp/snmp/snmpd.log" -I -smux \
    </dev/null >"$tmp/snmp/stderr" 2>&1 &
snmpd_pid=$!
status_oid=.1.3.6.1.4.1.8072.9999.9999.25.1.1.1.6.1
status=
for _ in $(seq 1 60); do
    status=$(snmpget -v2c -c public -On -Oqv -t 1 -r 0 "127.0.0.1:$snmp_port" "$status_oid" 2>/dev/null)
    [ "$status" = 2 ] && break
    sleep 1
done
if [ "$status" = 2 ]; then
    pass "snmpd with the installed module: smtpCheckStatus.1 = ok(2)"
else
    fail "snmpd with the installed module: smtpCheckStatus.1 = ${status:-no answer}"
    indent <"$tmp/snmp/snmpd.log"
fi
walk=$(snmpwalk -v2c -c public -M "$shared:/usr/share/snmp/mibs" -m +SMTP-CHECK-MIB \
    "127.0.0.1:$snmp_port" SMTP-CHECK-MIB::smtpCheckTable 2>"$tmp/walk.err")
if grep -q '^SMTP-CHECK-MIB::smtpCheckStatus\.1 = INTEGER: ok(2)$' <<<"$walk" &&
    grep -q '^SMTP-CHECK-MIB::smtpCheckName\.1 = STRING: local$' <<<"$walk" &&
    [ ! -s "$tmp/walk.err" ]; then
    pass "snmpwalk resolves SMTP-CHECK-MIB names from /usr/share/snmp/mibs"
else
    fail "snmpwalk by name"
    head -5 <<<"$walk" | indent
    indent <"$tmp/walk.err"
fi
kill "$snmpd_pid" 2>/dev/null && wait "$snmpd_pid" 2>/dev/null
snmpd_pid=

# 7. The unit, the man pages, the completion.
if out=$(systemd-analyze verify "$UNIT" 2>&1) && [ -z "$out" ]; then
    pass "systemd-analyze verify $UNIT"
else
    fail "systemd-analyze verify $UNIT"
    indent <<<"$out"
fi
for page in man1/smtpcheck.1 man5/smtpcheck.conf.5 man7/smtpcheck-snmp.7 man8/smtpcheck-agentx.8; do
    if out=$(MANWIDTH=80 man --warnings -l "/usr/share/man/$page.gz" 2>&1 >/dev/null) &&
        [ -z "$out" ]; then
        pass "man --warnings -l $page"
    else
        fail "man --warnings -l $page"
        indent <<<"$out"
    fi
done
completion=$(bash -c '
    . /usr/share/bash-completion/bash_completion 2>/dev/null || exit 1
    . /usr/share/bash-completion/completions/smtpcheck || exit 1
    COMP_WORDS=(smtpcheck --secu); COMP_CWORD=1; COMP_LINE="smtpcheck --secu"; COMP_POINT=16
    _smtpcheck; echo "${COMPREPLY[*]}"
    COMP_WORDS=(smtpcheck --security ""); COMP_CWORD=2; COMP_LINE="smtpcheck --security "
    COMP_POINT=21; _smtpcheck; echo "${COMPREPLY[*]}"' 2>&1)
if [ "$completion" = $'--security\nnone starttls tls' ]; then
    pass "bash completion: --secu -> --security -> none starttls tls"
else
    fail "bash completion gave: $completion"
fi

# 8. dpkg -r keeps the conffile; dpkg -P removes everything.
echo "# edited by the test" >>"$CONFFILE"
if dpkg_locked dpkg -r "$PKG" >"$tmp/dpkg.log" && [ -f "$CONFFILE" ] &&
    [ ! -e /usr/bin/smtpcheck ] && [ ! -e "$module" ] &&
    [ "$(dpkg-query -W -f='${Status}' "$PKG")" = "deinstall ok config-files" ]; then
    pass "dpkg -r: binaries gone, $CONFFILE kept"
else
    fail "dpkg -r"
    indent <"$tmp/dpkg.log"
fi
left=
if dpkg_locked dpkg -P "$PKG" >"$tmp/dpkg.log"; then
    while read -r path; do
        [ -e "$path" ] && left="$left $path"
    done < <(dpkg-deb -c "$deb" | awk '{ sub(/^\./, "", $6); sub(/\/$/, "", $6); print $6 }' |
        grep -E '/smtpcheck|smtpcheck[-.]|SMTP-CHECK')
    [ -e /etc/smtpcheck ] && left="$left /etc/smtpcheck"
    [ -e /var/lib/smtpcheck ] && left="$left /var/lib/smtpcheck"
    dpkg-query -W "$PKG" >/dev/null 2>&1 && left="$left (dpkg still knows $PKG)"
    [ -z "$left" ] && pass "dpkg -P removes everything" || fail "left after dpkg -P:$left"
else
    fail "dpkg -P"
    indent <"$tmp/dpkg.log"
fi

echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
