#!/usr/bin/env bash
# smtpcheck.so must export init_smtpcheck and deinit_smtpcheck and nothing
# else: snmpd puts thousands of symbols in the global scope, and a module
# symbol of the same name would silently take or steal calls.
set -euo pipefail
so=${1:?usage: check_exports.sh path/to/smtpcheck.so}
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sort | tr '\n' ' ')
want="deinit_smtpcheck init_smtpcheck "
if [ "$exported" != "$want" ]; then
  echo "exports: got [$exported], want [$want]"
  echo "exports: 0 passed, 1 failed"
  exit 1
fi
echo "exports: 1 passed, 0 failed"
