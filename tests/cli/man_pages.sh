# Every man page renders without warnings, documents every flag that --help shows, and its
# EXAMPLES run and succeed (so the documentation cannot drift from the programs).
source "$FLOWKIT_SRC/tests/cli/lib.sh"
source "$FLOWKIT_SRC/tests/cli/examples.sh"
man="$FLOWKIT_SRC/man"

# help_flags PROG [SUB]: the long flags in --help (of a subcommand too)
help_flags() { "$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
subcommands() { "$1" --help 2>/dev/null | awk 'tolower($0) ~ /^subcommands:/ { s = 1; next } s && /^  [a-z0-9]/ { print $1 }'; }

for page in "$man"/*.1 "$man"/*.7; do
  [ -f "$page" ] || continue
  name=$(basename "$page")
  # Renders without warnings
  warn=$(groff -man -ww -z "$page" 2>&1)
  check '[ -z "$warn" ]' "$name: groff warnings: $warn"
  # Has the sections every page must have
  for sec in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
    check 'grep -q "^\.SH \"\?$sec\"\?" "$page"' "$name: no $sec section"
  done
  case "$name" in *.1)
    prog=${name%.1}
    check '[ -x "$FLOWKIT_BIN/$prog" ]' "$name: no program $prog"
    check 'grep -q "^\.SH OPTIONS" "$page"' "$name: no OPTIONS section"
    text=$(man_text "$page")
    for flag in $(help_flags "$prog"; for s in $(subcommands "$prog"); do help_flags "$prog" "$s"; done); do
      check 'grep -qF -- "$flag" <<<"$text"' "$name: flag $flag of --help is not documented"
    done
    n=$(man_examples "$page" | wc -l)
    check '[ "$n" -gt 0 ]' "$name: no runnable examples"
    ;;
  esac
  run_examples "$name" < <(man_examples "$page")
done
finish
