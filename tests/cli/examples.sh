# Extracting runnable examples from man pages and the README (sourced by the doc tests).

# man_text PAGE: the page rendered as plain text, wide enough that no line is broken.
man_text() {
  groff -man -Tascii -P -cbou -rLL=400n "$1" 2>/dev/null
}

# man_examples PAGE: the shell commands of the EXAMPLES section, one per line ('$ ' lines
# inside .EX/.EE blocks; a trailing backslash continues a command on the next line).
man_examples() {
  man_text "$1" | awk '
    /^[A-Z][A-Z ]*$/ { inex = ($0 == "EXAMPLES"); next }
    !inex { next }
    { line = $0; sub(/^ +/, "", line) }
    cont { cmd = cmd " " line; if (cmd ~ /\\$/) { sub(/ *\\$/, "", cmd); next } print cmd; cont = 0; next }
    line ~ /^\$ / { cmd = substr(line, 3); if (cmd ~ /\\$/) { sub(/ *\\$/, "", cmd); cont = 1; next } print cmd }'
}

# readme_examples FILE: the '$ ' lines of ```sh blocks (```bash blocks are not run).
readme_examples() {
  awk '/^```sh$/ { inb = 1; next } /^```/ { inb = 0; next }
       inb && /^\$ / { cmd = substr($0, 3); while (cmd ~ /\\$/) { sub(/ *\\$/, "", cmd); getline nxt; cmd = cmd " " nxt } print cmd }' "$1"
}

# run_examples NAME: runs the commands on stdin in order in a fresh directory; each must succeed.
run_examples() {
  local name=$1 dir cmd n=0
  dir=$(mktemp -d "$T/ex.XXXX")
  while IFS= read -r cmd; do
    n=$((n + 1))
    checks=$((checks + 1))
    if ! (cd "$dir" && timeout "${FLOWKIT_EXAMPLE_TIMEOUT:-900}" bash -o pipefail -c "$cmd" </dev/null >"$dir/.out" 2>"$dir/.err"); then
      fail "$name example $n failed: $cmd ($(tail -c 400 "$dir/.err"))"
    fi
  done
  echo "$name: ran $n examples"
}
