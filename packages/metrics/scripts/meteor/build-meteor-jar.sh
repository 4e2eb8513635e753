#!/usr/bin/env bash
# Builds METEOR 1.5 from a checkout of cmu-mtlab/meteor (commit 8d84a67, as the oracle in ../shared used) plus the
# CocoMeteor driver, into OUT (default /tmp/meteor-build). Nothing of it is committed; only fixtures made with it.
#
#   bash scripts/meteor/build-meteor-jar.sh /path/to/cmu-mtlab-meteor-checkout [/tmp/meteor-build]
#
# Needs a JDK (javac, jar). The jar gets the English resources and an EMPTY data/paraphrase-en.gz (the real
# table is not obtainable here; tests that need a paraphrase table pass their own with -a).
set -euo pipefail
SRC=${1:?path of a cmu-mtlab/meteor checkout}
OUT=${2:-/tmp/meteor-build}
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$OUT/classes" && mkdir -p "$OUT/classes" "$OUT/data"
javac -nowarn -encoding UTF-8 -d "$OUT/classes" $(find "$SRC/src" -name '*.java')
cp -r "$SRC/resources/function" "$SRC/resources/nonbreaking" "$SRC/resources/synonym" "$OUT/classes/"
javac -nowarn -cp "$OUT/classes" -d "$OUT/classes" "$HERE/CocoMeteor.java"
(cd "$OUT/classes" && jar cfe ../meteor-1.5.jar Meteor .)
printf '' | gzip > "$OUT/data/paraphrase-en.gz"
echo "built $OUT/meteor-1.5.jar"
