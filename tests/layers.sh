#!/usr/bin/env bash
# The parts of lib/flowkit depend one way (doc/DESIGN.md, "Parts"). Reads every
# #include "flowkit/PART/..." of the library, the programs and the tests, and fails, naming the
# file and the line, when a file includes a part it must not.
# Usage: bash tests/layers.sh [SOURCE_TREE]   (default: the tree this script is in)
set -uo pipefail
root=${1:-"$(dirname "$0")/.."}
cd "$root" || exit 2

# What each part may include besides itself; the order of this table is the order of the parts.
declare -A allowed=(
  [core]=""
  [io]="core"
  [data]="core io"
  [nn]="core"
  [flow]="core nn"
  [eval]="core"
  [model]="core io nn flow"
  [train]="core io data nn flow eval model"
  [plot]="core io"
  [cli]="core io data nn flow eval model train plot"
)
parts="${!allowed[*]}"

bad=0 files=0
while IFS= read -r file; do
  files=$((files + 1))
  case "$file" in
    lib/flowkit/*/*) from=${file#lib/flowkit/}; from=${from%%/*} ;;
    lib/flowkit/*) echo "layers: $file: a library file outside every part (put it in a folder of lib/flowkit)"; bad=1; continue ;;
    tools/*) from=tools ;;
    *) from=other ;;
  esac
  if [ "$from" != tools ] && [ "$from" != other ] && [ -z "${allowed[$from]+x}" ]; then
    echo "layers: $file: '$from' is not a part of the table in tests/layers.sh"; bad=1; continue
  fi
  while IFS=: read -r line part; do
    [ -n "$part" ] || continue
    if [ -z "${allowed[$part]+x}" ]; then
      echo "layers: $file:$line: includes flowkit/$part/, which is no part ($parts)"; bad=1; continue
    fi
    case "$from" in
      tools) continue ;;
      other) [ "$part" = cli ] && { echo "layers: $file:$line: only tools/ and cli/ may include cli/"; bad=1; }; continue ;;
    esac
    [ "$part" = "$from" ] && continue
    case " ${allowed[$from]} " in
      *" $part "*) ;;
      *) echo "layers: $file:$line: $from/ must not include $part/ (it may include: ${allowed[$from]:-nothing else})"; bad=1 ;;
    esac
  done < <(grep -n -o '^[[:space:]]*#[[:space:]]*include[[:space:]]*"flowkit/[A-Za-z0-9_]*/' "$file" | sed -E 's#^([0-9]+):.*flowkit/([A-Za-z0-9_]*)/$#\1:\2#')
done < <(find lib tools tests bench -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort)

[ "$files" -gt 0 ] || { echo "layers: no source files found under $root"; exit 1; }
[ "$bad" = 0 ] && echo "layers: $files files, every include points the allowed way"
exit $bad
