#!/usr/bin/env bash
# Renders every offline output the architecture work must keep byte-identical:
# `snap report` of each fixture snapshot, `snap diff` of the fixtures in text, md
# and json, and the demo's diff. Usage: bench/golden_outputs.sh OUTDIR
# Compare two runs with: diff -r OUT_BEFORE OUT_AFTER
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: golden_outputs.sh OUTDIR}
snap=${SNAP:-.venv/bin/snap}
mkdir -p "$out"
i=0
for f in $(find fixtures -name '*.json' -path '*/seed/*' -o -name '*.json' -path '*/captured/*' -o -name '*.parquet' -path '*/captured/*' | sort); do
  i=$((i+1)); "$snap" report "$f" > "$out/report_$i.md" 2>&1; echo "$f exit $?" >> "$out/index.txt"
done
a=fixtures/captured/Churn/v2/20261126T214248.424561Z.json
b=fixtures/captured/Churn/v3/20261126T214248.652548Z.json
c=fixtures/captured/Echo/v1/20261126T214248.777370Z.json
s=fixtures/seed/Conversational_Task_v6.json
for pair in "$a $b" "$b $a" "$a $c" "$s $a"; do
  for fmt in text md json; do
    i=$((i+1)); COLUMNS=120 "$snap" diff $pair --format "$fmt" > "$out/diff_$i.$fmt" 2>&1; echo "diff $pair $fmt exit $?" >> "$out/index.txt"
  done
done
work=$(mktemp -d)
(cd "$work" && COLUMNS=120 "$OLDPWD/$snap" demo 2>&1 | sed -E "s#$work#WORK#g" | sed -E 's/[0-9]{8}T[0-9]{6}\.[0-9]{6}Z/TIME/g; s/[0-9]+\.[0-9]+ s\b/N s/g; s/\b[0-9a-f]{4,32}\b/HEX/g') > "$out/demo.txt"
echo "demo exit $?" >> "$out/index.txt"
rm -rf "$work"
