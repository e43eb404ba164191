# flow-data: every bad input gets one clear line on stderr, a non-zero status and no output.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
MKPNG="$PYTHON $FLOWKIT_SRC/tests/cli/make_png.py"

flow-data moons -n 100 -o good.npy

# Files that are not there, not readable or empty
bad 1 "cannot open missing.npy: No such file" flow-data info missing.npy
mkdir adir
bad 1 "cannot read adir: it is a directory" flow-data convert adir -o out.npy
if [ "$(id -u)" != 0 ]; then
  cp good.npy locked.npy && chmod 000 locked.npy
  bad 1 "cannot open locked.npy: Permission denied" flow-data info locked.npy
fi
: >empty.npy
bad 1 "empty stream \(empty.npy\)" flow-data convert empty.npy -o out.npy
bad 1 "empty stream \(<stdin>\)" flow-data info </dev/null
check '[ ! -e out.npy ]' "no output file after an error"

# NPY: truncated, wrong magic, oversized header, unsupported dtypes, lying shapes
head -c 5 good.npy >t1.npy
bad 1 "truncated NPY header: 5 bytes" flow-data info t1.npy
head -c 60 good.npy >t2.npy
bad 1 "truncated NPY header: expected 118 header bytes, got 50" flow-data info t2.npy
head -c 500 good.npy >t3.npy
bad 1 "truncated NPY payload: shape \(100, 2\) needs 200 elements of 4 bytes, the data ends after 93 \(t3.npy, byte offset 500\)" \
  flow-data convert t3.npy -o out.npy
check '[ ! -e out.npy ]' "no output file after a truncated payload"
printf '\223NUMPX\001\000' >magic.npy
bad 1 "wrong magic: not an NPY array \(magic.npy, byte offset 0\)" flow-data info magic.npy
printf '\211PNG\r\n\032\n' >pic.npy
bad 1 "wrong magic: not an NPY array \(.x93NUMPY\), CSV or JSON" flow-data info pic.npy
{ printf '\223NUMPY\001\000\021\047'; head -c 10001 /dev/zero | tr '\0' ' '; } >big2.npy
bad 1 "NPY header of 10001 bytes is over the limit of 10000" flow-data info big2.npy
$PYTHON - <<'PY'
import numpy as np
np.save("c8.npy", np.zeros(3, np.complex64))
np.save("obj.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
np.save("s10.npy", np.array([b"abc"], dtype="S10"))
def raw(name, header, payload=b""):
    h = header.encode()
    h += b" " * (63 - (10 + len(h)) % 64) + b"\n"
    open(name, "wb").write(b"\x93NUMPY\x01\x00" + len(h).to_bytes(2, "little") + h + payload)
raw("overflow.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")
raw("nokey.npy", "{'descr': '<f4', 'shape': (2,), }", b"\0" * 8)
PY
bad 1 "unsupported dtype '<c8'" flow-data info c8.npy
bad 1 "unsupported dtype '\|O'" flow-data info obj.npy
bad 1 "unsupported dtype '\|S10'" flow-data info s10.npy
bad 1 "NPY shape \(4294967296, 4294967296\) has too many elements" flow-data info overflow.npy
bad 1 "malformed NPY header: keys descr, fortran_order and shape are all required" flow-data info nokey.npy
{ cat good.npy; printf 'abc'; } >extra.npy
bad 1 "the data does not match the shape \(100, 2\): 3 bytes more than it needs \(extra.npy, byte offset 928\)" \
  flow-data convert extra.npy -o out.npy
flow-data gaussian -n 7 -o seven.npy
{ cat good.npy seven.npy; } >mismatch.npy
bad 1 "companion array of shape \(7, 2\) does not match|does not match the main array" flow-data info mismatch.npy

# CSV and JSON
printf 'x,y\n1,2\n3\n' >ragged.csv
bad 1 "ragged CSV: line 3 has 1 values, expected 2 \(ragged.csv\)" flow-data convert ragged.csv -o out.npy
printf 'x,y\n1,2\n3,4\n5,six\n' >word.csv
bad 1 "non-numeric cell 'six' at line 4, column 2 \(word.csv\)" flow-data info word.csv
printf '{"points": [[1, 2]]}' >obj.json
bad 1 "JSON is not an array of rows" flow-data info obj.json
printf '[[1, 2], [3]]' >ragged.json
bad 1 "JSON is not an array of rows: element \[1\] should be an array of 2 values" flow-data info ragged.json
printf '[[1, 2], [3, 4]' >cut.json
bad 1 "invalid JSON at byte offset 15" flow-data info cut.json
printf '1,2\n3,nan\n5,6\n' >nan.csv
bad 1 "non-finite value \(NaN or Inf\) in row 1 \(nan.csv, shape \(3, 2\)\)" flow-data info nan.csv
printf '1,2\n3,4\n5,-inf\n' >inf.csv
bad 1 "non-finite value \(NaN or Inf\) in row 2" flow-data info inf.csv

# Images and IDX files
mkdir noimg && echo hi >noimg/readme.txt
bad 1 "no images \(.png, .jpg, .jpeg\) in noimg" flow-data images noimg -o out.npy
mkdir sizes
$MKPNG sizes/a.png 4 4 1 0 && $MKPNG sizes/b.png 5 4 1 0
bad 1 "images of different sizes: sizes/b.png is 5x4, sizes/a.png is 4x4" flow-data images sizes -o out.npy
printf '\000\000\010\003\000\000\000\002\000\000\000\002\000\000\000\002abcdefg' >short.idx
bad 1 "IDX header says shape \(2, 2, 2\), 24 bytes in all, but the file has 23 \(short.idx\)" flow-data idx short.idx -o out.npy
bad 1 "not an IDX file: wrong magic" flow-data idx good.npy
check '[ ! -e out.npy ]' "no output file after a bad image or IDX input"

# Unknown names, formats and flags; bad values
bad 2 "unknown data set or command 'moonz'; one of moons, circles" flow-data moonz
bad 2 "unknown format 'xml'; one of npy, csv, json" flow-data moons -f xml -o out.npy
bad 2 "bogus" flow-data moons --bogus
bad 2 "unknown info format 'yaml'; one of text, json" flow-data info good.npy -f yaml
bad 2 "--noise for moons must be finite and >= 0" flow-data moons --noise -1 -o out.npy
bad 2 "--rings for rings must be a whole number" flow-data rings --rings 2.5 -o out.npy
bad 2 "-n must be >= 0" flow-data moons -n -5 -o out.npy
bad 2 "bad --range 'a:b'" flow-data grid --range a:b -o out.npy
bad 2 "grid range must be finite with its start below its end" flow-data grid --range 3:-3 -o out.npy
bad 2 "--test-fraction must be between 0 and 1" flow-data split good.npy --test-fraction 1.5 --test-output te.npy -o tr.npy
bad 2 "refusing to write binary NPY to a terminal|--spec is required" flow-data mixture -o out.npy
bad 1 "mixture \"vars\"\[0\] must be 2 positive variances" flow-data mixture --spec '{"means": [[0, 0]], "vars": [[1, -1]]}'
bad 1 "cannot open nospec.json" flow-data mixture --spec nospec.json
bad 1 "cannot open /nonexistent/digits.csv.gz" flow-data digits --file /nonexistent/digits.csv.gz
check '[ ! -e out.npy ] && [ ! -e te.npy ] && [ ! -e tr.npy ]' "no output file after a usage error"
finish
