# numpy reads what we write and writes what we read, for every dtype, byte order, memory order
# and NPY version of the stream contract, and for two arrays in one stream (numpy_interop.py).
source "$FLOWKIT_SRC/tests/cli/lib.sh"
ok "$PYTHON" "$FLOWKIT_SRC/tests/cli/numpy_interop.py"
cat "$T/.out" "$T/.err"
check 'grep -q " 0 failed" "$T/.out"' "numpy interoperability: $(tail -1 "$T/.out")"
finish
