# The same model in PyTorch, both ways, to 1e-5 (pytorch_roundtrip.py); skipped, saying so, only
# where python3-torch is not installed (CI installs it: share/setup).
source "$FLOWKIT_SRC/tests/cli/lib.sh"
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "SKIP: python3-torch is not installed (apt-get install python3-torch)"
  finish
fi
ok "$PYTHON" "$FLOWKIT_SRC/tests/cli/pytorch_roundtrip.py"
cat "$T/.out" "$T/.err"
check 'grep -q " 0 failed" "$T/.out"' "PyTorch round trip: $(tail -1 "$T/.out")"
finish
