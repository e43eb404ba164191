# The README's examples (its ```sh blocks) run and succeed, in order, from the source tree's
# point of view (share/models/ is reachable), so the README cannot drift from the programs.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
source "$FLOWKIT_SRC/tests/cli/examples.sh"
ln -s "$FLOWKIT_SRC/share" share
n=$(readme_examples "$FLOWKIT_SRC/README.md" | wc -l)
check '[ "$n" -ge 10 ]' "README has only $n runnable examples"
# run_examples uses a fresh directory: give it the share/ link too
while IFS= read -r cmd; do
  checks=$((checks + 1))
  if ! timeout "${FLOWKIT_EXAMPLE_TIMEOUT:-900}" bash -o pipefail -c "$cmd" </dev/null >"$T/.out" 2>"$T/.err"; then
    fail "README example failed: $cmd ($(tail -c 400 "$T/.err"))"
  fi
done < <(readme_examples "$FLOWKIT_SRC/README.md")
for f in samples.png density.png paths.png gmm8-paths.png brownian.png gmm8-density.png; do
  check '[ -s "$f" ]' "README example did not draw $f"
done
check 'grep -q "\"w2\"" quality.json' "quality.json has no w2"
finish
