#!/usr/bin/env bash
# Checks mibs/SMTP-CHECK-MIB.txt: smilint -l 6 must print nothing,
# snmptranslate must load it and print its tree, a few names must
# translate to the OIDs the module code uses (module/smtpcheck_oids.h),
# and every column, scalar and notification number in the code must be
# the MIB's (smtpcheck-agentx --columns).
#
# Usage: tests/mib/check_mib.sh [REPO_DIR [SHARED_MIBS_DIR]]
#   REPO_DIR         default: this script's directory/../..
#   SHARED_MIBS_DIR  default: REPO_DIR/../shared/mibs (SNMPv2-SMI etc.)
#   $SMTPCHECK_AGENTX  the built smtpcheck-agentx: its --columns (the
#                    numbers in the code) are checked against the MIB
# Exit status: 0 when every check passed, 1 otherwise.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "${1:-$here/../..}" && pwd) || { echo "mib: no repository directory" >&2; exit 1; }
shared=${2:-$repo/../shared/mibs}
if [ ! -d "$shared" ]; then
    echo "mib: shared MIB directory $shared not found" >&2
    exit 1
fi
shared=$(cd "$shared" && pwd)
mib=$repo/mibs/SMTP-CHECK-MIB.txt

for tool in smilint snmptranslate; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "mib: $tool is not installed (apt-get install smitools snmp)" >&2
        exit 1
    fi
done

# Keep snmptranslate away from the user's and the system's snmp.conf and
# from /var/lib/snmp.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/persist/cert_indexes"
export SNMPCONFPATH=$tmp SNMP_PERSISTENT_DIR=$tmp/persist
unset MIBS MIBDIRS

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

translate() {
    snmptranslate -M "+$shared:$repo/mibs" -m +SMTP-CHECK-MIB "$@"
}

# 1. smilint at level 6 prints nothing at all.
out=$(cd "$repo" && SMIPATH="$shared:mibs" smilint -l 6 mibs/SMTP-CHECK-MIB.txt 2>&1)
if [ -f "$mib" ] && [ -z "$out" ]; then
    pass "smilint -l 6 is silent"
else
    fail "smilint -l 6 reported:"
    printf '%s\n' "${out:-(missing $mib)}" | sed 's/^/    /'
fi

# 2. snmptranslate loads the module without a warning and prints the tree.
if out=$(translate -Tp SMTP-CHECK-MIB::smtpCheckMIB 2>"$tmp/err") &&
    [ ! -s "$tmp/err" ] &&
    grep -q 'smtpCheckMIB(25)' <<<"$out" &&
    grep -q 'smtpCheckQueueReply(39)' <<<"$out" &&
    grep -q 'smtpCheckLastSuccess(53)' <<<"$out" &&
    grep -q 'smtpCheckNotificationGroup(6)' <<<"$out" &&
    grep -q 'smtpCheckHistoryEnhancedStatus(8)' <<<"$out" &&
    grep -q 'smtpCheckTargetDetail(14)' <<<"$out" &&
    grep -q 'smtpCheckStats24hP99Us(10)' <<<"$out"; then
    pass "snmptranslate -Tp shows the tree"
else
    fail "snmptranslate -Tp SMTP-CHECK-MIB::smtpCheckMIB"
    sed 's/^/    /' "$tmp/err"
fi

# 3. Numeric OIDs, as used by the module. The root comes from
# SMTPCHECK_MIB_ROOT in module/smtpcheck_oids.h when that file exists, so
# moving the root in only one of the MIB and the code fails here.
root=.1.3.6.1.4.1.8072.9999.9999.25
oids_h=$repo/module/smtpcheck_oids.h
if [ -f "$oids_h" ]; then
    code_root=$(sed -n 's/^#define[[:space:]]*SMTPCHECK_MIB_ROOT[[:space:]]*//p' "$oids_h" |
        tr -d ' \t' | tr ',' '.')
    if [[ "$code_root" =~ ^[0-9]+(\.[0-9]+)+$ ]]; then
        root=.$code_root
    else
        fail "cannot read SMTPCHECK_MIB_ROOT from $oids_h"
    fi
fi
while read -r name want; do
    got=$(translate -On "SMTP-CHECK-MIB::$name" 2>&1)
    if [ "$got" = "$want" ]; then
        pass "$name = $want"
    else
        fail "$name: expected $want, got ${got:-nothing}"
    fi
done <<EOF
smtpCheckMIB $root
smtpCheckAlarmRaised $root.0.1
smtpCheckAlarmCleared $root.0.2
smtpCheckTable $root.1.1
smtpCheckEntry $root.1.1.1
smtpCheckName $root.1.1.1.2
smtpCheckStatus $root.1.1.1.6
smtpCheckErrorCode $root.1.1.1.10
smtpCheckTotalTime $root.1.1.1.18
smtpCheckEnhancedStatus $root.1.1.1.19
smtpCheckCertDaysLeft $root.1.1.1.25
smtpCheckConsecutiveFailures $root.1.1.1.30
smtpCheckQueueReply $root.1.1.1.39
smtpCheckPhasesRun $root.1.1.1.40
smtpCheckCertSeen $root.1.1.1.41
smtpCheckDnsTimeUs $root.1.1.1.42
smtpCheckConnectTimeUs $root.1.1.1.43
smtpCheckTotalTimeUs $root.1.1.1.50
smtpCheckLastRunUnix $root.1.1.1.51
smtpCheckLastSuccessUnix $root.1.1.1.52
smtpCheckLastSuccess $root.1.1.1.53
smtpCheckAlarmTable $root.1.2
smtpCheckAlarmRising $root.1.2.1.2
smtpCheckAlarmState $root.1.2.1.4
smtpCheckAlarmLastChange $root.1.2.1.7
smtpCheckConfigFile $root.1.3.1
smtpCheckConfigLastLoad $root.1.3.5
smtpCheckNotifMetric $root.1.4.1
smtpCheckNotifThreshold $root.1.4.3
smtpCheckCompliance $root.2.1.1
smtpCheckFullCompliance $root.2.1.2
smtpCheckNotificationGroup $root.2.2.6
smtpCheckPhaseGroup $root.2.2.7
smtpCheckSuccessGroup $root.2.2.8
smtpCheckHistoryTable $root.1.5
smtpCheckTargetTable $root.1.7
smtpCheckTargetEntry $root.1.7.1
smtpCheckTargetAddress $root.1.7.1.5
smtpCheckTargetDetail $root.1.7.1.14
smtpCheckMxCompliance $root.2.1.4
smtpCheckTargetGroup $root.2.2.11
smtpCheckHistoryEntry $root.1.5.1
smtpCheckHistoryTime $root.1.5.1.2
smtpCheckHistoryEnhancedStatus $root.1.5.1.8
smtpCheckStatsTable $root.1.6
smtpCheckStatsEntry $root.1.6.1
smtpCheckStats1hRuns $root.1.6.1.1
smtpCheckStats24hP99Us $root.1.6.1.10
smtpCheckHistoryCompliance $root.2.1.3
smtpCheckHistoryGroup $root.2.2.9
smtpCheckWindowGroup $root.2.2.10
EOF

# 3b. The example snmpd configurations grant a view of the root: every
#     view under enterprises must be the code's root (docs/mib.md).
for conf in "$repo"/config/snmpd*.conf; do
    [ -f "$conf" ] || continue
    views=$(awk '$1 == "view" && $4 ~ /^\.?1\.3\.6\.1\.4\.1\./ { print $4 }' "$conf")
    bad=$(grep -vxF -e "$root" <<<"$views" | tr '\n' ' ')
    if [ -n "$views" ] && [ -z "${bad// /}" ]; then
        pass "${conf#"$repo"/}: the view is of $root"
    else
        fail "${conf#"$repo"/}: view lines name ${bad:-no OID}, not $root"
    fi
done

# 3c. The syntax of the columns added for managers (revision
#     202612021500Z). The code's types for them are checked on a real
#     agent (tests/integration/test_snmp.py); PhasesRun's bit names are
#     the core's phase names (unit.fields).
syntax() { # the textual convention, else the SYNTAX clause on one line
    translate -Td "SMTP-CHECK-MIB::$1" 2>/dev/null | tr -s ' \t\n' '   ' |
        sed -n -e 's/.*TEXTUAL CONVENTION \([A-Za-z0-9]*\) .*/\1/p;t' \
            -e 's/.*SYNTAX *//' -e 's/ *\(DISPLAY-HINT\|UNITS\|MAX-ACCESS\) .*//p'
}
units() {
    translate -Td "SMTP-CHECK-MIB::$1" 2>/dev/null | sed -n 's/.*UNITS[[:space:]]*"\(.*\)".*/\1/p'
}
while read -r name unit want; do
    got=$(syntax "$name")
    [ "$unit" = - ] && unit=
    unit=${unit//_/ } # "per_mille": a unit with a space
    if [ "$got" = "$want" ] && [ "$(units "$name")" = "$unit" ]; then
        pass "$name is $want${unit:+, $unit}"
    else
        fail "$name: expected $want ${unit:-(no units)}, got ${got:-nothing} $(units "$name")"
    fi
done <<EOF
smtpCheckPhasesRun - BITS {dns(0), connect(1), tls(2), greeting(3), ehlo(4), login(5), transfer(6), quit(7), delivery(8)}
smtpCheckCertSeen - TruthValue
smtpCheckDnsTimeUs microseconds Gauge32
smtpCheckConnectTimeUs microseconds Gauge32
smtpCheckTlsTimeUs microseconds Gauge32
smtpCheckGreetingTimeUs microseconds Gauge32
smtpCheckEhloTimeUs microseconds Gauge32
smtpCheckLoginTimeUs microseconds Gauge32
smtpCheckTransferTimeUs microseconds Gauge32
smtpCheckQuitTimeUs microseconds Gauge32
smtpCheckTotalTimeUs microseconds Gauge32
smtpCheckLastRunUnix seconds Unsigned32
smtpCheckLastSuccessUnix seconds Unsigned32
smtpCheckLastSuccess - DateAndTime
smtpCheckHistoryTime seconds Unsigned32
smtpCheckHistoryTotalTimeUs microseconds Gauge32
smtpCheckHistoryConnectTimeUs microseconds Gauge32
smtpCheckHistoryResponseCode - Integer32 (-1..999)
smtpCheckHistoryErrorCode - SmtpCheckError
smtpCheckHistoryFailedStep - SmtpCheckStep
smtpCheckHistoryEnhancedStatus - Unsigned32
smtpCheckStats1hRuns runs Gauge32
smtpCheckStats1hAvailability per_mille Unsigned32 (0..1000)
smtpCheckStats1hP50Us microseconds Gauge32
smtpCheckStats24hAvailability per_mille Unsigned32 (0..1000)
smtpCheckStats24hP99Us microseconds Gauge32
EOF

# 4. The enumerations the core library numbers: unit.fields compares
#    every value of each with the core's tables (test_fields.c).
desc() { translate -Td "SMTP-CHECK-MIB::$1" 2>/dev/null | tr -s ' \t\n' '   '; }

# 5. The notification varbinds, in the order the code sends them.
want=$("${SMTPCHECK_AGENTX:-false}" --notification-varbinds 2>/dev/null)
for n in smtpCheckAlarmRaised smtpCheckAlarmCleared; do
    got=$(desc "$n" | sed -n 's/.*OBJECTS *{ *\([^}]*[^ }]\) *}.*/\1/p')
    if [ "$got" = "$want" ]; then
        pass "$n varbinds"
    else
        fail "$n varbinds: ${got:-none}"
    fi
done

# 6. The code's numbers. smtpcheck-agentx --columns prints "name number OID"
# for every column, scalar and notification the module serves or sends,
# from the very tables its handlers use: each OID must be the MIB's, and
# every such object of the MIB must be among them.
objects_of_mib() {
    awk '/^[a-z][A-Za-z0-9]*[ \t]+(OBJECT-TYPE|NOTIFICATION-TYPE)/ { name = $1 }
         /::=/ {
             if (name != "" && $0 ~ /\{ *(smtpCheckEntry|smtpCheckAlarmEntry|smtpCheckHistoryEntry|smtpCheckStatsEntry|smtpCheckTargetEntry|smtpCheckGlobals|smtpCheckNotifObjects|smtpCheckNotifications) +[0-9]+ *\}/)
                 print name
             name = ""
         }' "$mib"
}
agentx=${SMTPCHECK_AGENTX:-}
if [ -z "$agentx" ]; then
    echo "skip: SMTPCHECK_AGENTX is not set: the code's column numbers were not checked"
elif ! code=$("$agentx" --columns 2>"$tmp/err") || [ -z "$code" ]; then
    fail "$agentx --columns failed"
    sed 's/^/    /' "$tmp/err"
else
    while read -r name number code_oid; do
        got=$(translate -On "SMTP-CHECK-MIB::$name" 2>&1)
        if [ "$got" = "$code_oid" ] && [ "${code_oid##*.}" = "$number" ]; then
            pass "code: $name = $number"
        else
            fail "code: $name is $number ($code_oid) in the code, ${got:-nothing} in the MIB"
        fi
    done <<<"$code"
    dups=$(awk '{ print $1; print $3 }' <<<"$code" | sort | uniq -d | tr '\n' ' ')
    [ -z "$dups" ] && pass "code: no name or OID twice" || fail "code: twice: $dups"
    missing=
    for name in $(objects_of_mib); do
        grep -q "^$name " <<<"$code" || missing="$missing $name"
    done
    if [ -z "$missing" ] && [ -n "$(objects_of_mib)" ]; then
        pass "code: serves every column, scalar and notification of the MIB"
    else
        fail "code: in the MIB but not in the code:${missing:- (no objects found in the MIB)}"
    fi
fi

# 7. Nothing in the MIB is writable.
if grep -Eq 'MAX-ACCESS[[:space:]]+read-(write|create)' "$mib"; then
    fail "a writable object"
else
    pass "no writable object"
fi

# 7. docs/mib.md documents every object and notification of the MIB,
#    names nothing the MIB lacks, and gives the MIB's column numbers.
docs=$repo/docs/mib.md
declared=$(grep -oE '^smtpCheck[A-Za-z0-9]+ +(OBJECT-TYPE|NOTIFICATION-TYPE)' "$mib" | awk '{print $1}' | sort -u)
all_names=$(grep -oE '^smtpCheck[A-Za-z0-9]+' "$mib" | sort -u)
mentioned=$(grep -oE 'smtpCheck[A-Za-z0-9]+' "$docs" | sort -u)
undocumented=$(comm -23 <(echo "$declared") <(echo "$mentioned") | tr '\n' ' ')
unknown=$(comm -13 <(echo "$all_names") <(echo "$mentioned") | tr '\n' ' ')
[ -z "$undocumented" ] && pass "docs/mib.md documents every object" \
    || fail "docs/mib.md lacks: $undocumented"
[ -z "$unknown" ] && pass "docs/mib.md names only MIB objects" \
    || fail "docs/mib.md names objects the MIB lacks: $unknown"
while IFS='|' read -r _ number name _; do
    number=$(tr -d ' ' <<<"$number")
    name=$(tr -d ' `' <<<"$name")
    oid=$(translate -On "SMTP-CHECK-MIB::$name" 2>/dev/null)
    [ "${oid##*.}" = "$number" ] || fail "docs/mib.md: $name is $number there, $oid in the MIB"
done < <(sed '/^## Notifications/,$d' "$docs" | grep -E '^\| *[0-9]+ *\| *`smtpCheck[A-Za-z0-9]+` *\|')
pass "docs/mib.md column numbers"

echo "mib: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
