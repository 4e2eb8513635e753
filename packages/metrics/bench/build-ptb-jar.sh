#!/usr/bin/env bash
# Builds the PTB tokenizer that coco-caption runs (Stanford CoreNLP 3.4.1's edu.stanford.nlp.process.PTBTokenizer)
# from CoreNLP's own sources, for `npm run bench:process -- --coco-caption DIR --ptb-jar JAR` on machines where
# coco-caption's `stanford-corenlp-3.4.1.jar` cannot be downloaded. Not needed by the package or its tests.
#
#   bash bench/build-ptb-jar.sh CORENLP_GIT_DIR OUT.jar
#
# CORENLP_GIT_DIR: a git directory of github.com/stanfordnlp/CoreNLP with the tag v3.4.1 (a clone's .git, or a
# bare mirror). javac (any JDK from 9 on; compiled with --release 7, as CoreNLP 3.4.1 was Java 7 code) compiles
# PTBTokenizer and, through -sourcepath, only the classes it needs. A blob the git directory lacks (a partial
# mirror) is taken from the newest earlier commit that has the file, and named on stderr.
# Checked on 2026-12-06: the jar's `-preserveLines -lowerCase` output equals the oracle's tokenized text of all
# 20,244 lines of ../shared/data/coco-caption/ptb_hypo_coco2014_raw.txt.gz byte for byte.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: bash build-ptb-jar.sh CORENLP_GIT_DIR OUT.jar" >&2
  exit 2
fi
git_dir=$1
out=$(realpath -m "$2")
tag=v3.4.1
command -v javac >/dev/null || { echo "build-ptb-jar: javac is not installed (a JDK is needed)" >&2; exit 1; }
git --git-dir="$git_dir" rev-parse --verify -q "$tag^{commit}" >/dev/null ||
  { echo "build-ptb-jar: $git_dir has no tag $tag" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/classes"
git --git-dir="$git_dir" ls-tree -r "$tag:src" | while read -r _mode _type sha path; do
  mkdir -p "$work/src/$(dirname "$path")"
  if git --git-dir="$git_dir" cat-file -e "$sha" 2>/dev/null; then
    git --git-dir="$git_dir" cat-file blob "$sha" >"$work/src/$path"
  else
    # the newest earlier version this git directory holds
    found=
    for commit in $(git --git-dir="$git_dir" log --format=%H "$tag" -- "src/$path"); do
      if git --git-dir="$git_dir" cat-file -e "$commit:src/$path" 2>/dev/null; then
        git --git-dir="$git_dir" cat-file blob "$commit:src/$path" >"$work/src/$path"
        echo "build-ptb-jar: src/$path of $tag is missing here; took it from ${commit:0:9}" >&2
        found=1
        break
      fi
    done
    [ -n "$found" ] || { rm -f "$work/src/$path"; echo "build-ptb-jar: src/$path is missing here" >&2; }
  fi
done
javac -nowarn -encoding utf-8 --release 7 -d "$work/classes" -sourcepath "$work/src" \
  "$work/src/edu/stanford/nlp/process/PTBTokenizer.java" 2>&1 | grep -v '^Note:\|^warning:\|^[0-9]* warning' >&2 || true
[ -f "$work/classes/edu/stanford/nlp/process/PTBTokenizer.class" ] || { echo "build-ptb-jar: javac failed" >&2; exit 1; }
(cd "$work/classes" && jar cf "$out" .)
echo "build-ptb-jar: wrote $out ($(find "$work/classes" -name '*.class' | wc -l) classes from CoreNLP $tag)" >&2
