# The tutorial cannot drift: every command of share/tutorial/make-pictures.sh runs (quick mode,
# sizes capped) and succeeds, every picture the tutorial shows is made by it and committed, and
# every command line shown in share/tutorial.md and flowkit-tutorial(7) is a line of the script.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
script="$FLOWKIT_SRC/share/tutorial/make-pictures.sh"
md="$FLOWKIT_SRC/share/tutorial.md"
page="$FLOWKIT_SRC/man/flowkit-tutorial.7"

# Every command runs and succeeds
sh_ok "FLOWKIT_QUICK=1 bash '$script' '$T/run'"

# Every picture shown is made and committed
pics=$(grep -o 'tutorial/[0-9][0-9]-[A-Za-z0-9.-]*\.png' "$md" | sed 's|^tutorial/||' | sort -u)
check '[ "$(wc -w <<<"$pics")" -ge 20 ]' "tutorial.md shows too few pictures: $pics"
for png in $pics; do
  check '[ -s "$T/run/$png" ]' "picture $png is not made by make-pictures.sh"
  check '[ -s "$FLOWKIT_SRC/share/tutorial/$png" ]' "picture $png is not committed"
  check 'grep -qF "$png" "$page"' "picture $png is not named in flowkit-tutorial.7"
done

# Every command line shown is a line of the script (leading blanks aside)
trim() { sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' | grep -v '^$'; }
lines=$(trim <"$script")
shown() { awk '/^```sh$/ { f = 1; next } /^```/ { f = 0 } f' "$md"; }
page_lines() { awk '/^\.nf$/ { f = 1; next } /^\.fi$/ { f = 0 } f' "$page" | sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\(dq/"/g'; }
# Each line on stdin must be a line of the script ($1 names where it is shown); sets `count`
all_run() {
  count=0
  while IFS= read -r l; do
    count=$((count + 1))
    check 'grep -qxF -- "$l" <<<"$lines"' "$1 shows a command that does not run: $l"
  done
}
all_run tutorial.md < <(shown | trim)
n=$count
check '[ "$n" -ge 60 ]' "tutorial.md shows only $n command lines"
all_run flowkit-tutorial.7 < <(page_lines | trim)
m=$count
check '[ "$m" = "$n" ]' "flowkit-tutorial.7 shows $m command lines, tutorial.md $n"
finish
