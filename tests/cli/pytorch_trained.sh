# A flow trained in PyTorch (torchcfm's MLP on [x, t]) sampled and evaluated by flowkit
# (pytorch_trained.py); skipped, saying so, only where python3-torch is not installed.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "SKIP: python3-torch is not installed (apt-get install python3-torch)"
  finish
fi
ok "$PYTHON" "$FLOWKIT_SRC/tests/cli/pytorch_trained.py"
cat "$T/.out" "$T/.err"
check 'grep -q "^0 failed" "$T/.out"' "a PyTorch-trained model in flowkit: $(tail -1 "$T/.out")"
finish
