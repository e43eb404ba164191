# flow-data: distributions, grids, loaders, conversions, info and split, checked with numpy.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
MKPNG="$PYTHON $FLOWKIT_SRC/tests/cli/make_png.py"
py() { "$PYTHON" -c "import io, json, sys; import numpy as np; data = lambda: io.BytesIO(sys.stdin.buffer.read()); $1"; }
export PYTHON
export -f py  # for the pipelines of sh_ok

# Every distribution: n points of dimension 2, finite, the same bytes for the same seed
for d in moons circles 8gaussians checkerboard spirals swissroll scurve pinwheel rings gaussian; do
  ok flow-data $d -n 300 --seed 5 -o $d.npy
  ok flow-data $d -n 300 --seed 5 -o $d.again.npy
  ok flow-data $d -n 300 --seed 6 -o $d.other.npy
  check "cmp -s $d.npy $d.again.npy" "$d: the same seed gives the same bytes"
  check "! cmp -s $d.npy $d.other.npy" "$d: another seed gives other points"
  sh_ok "py 'a = np.load(\"$d.npy\"); assert a.shape == (300, 2) and a.dtype == np.float32 and np.isfinite(a).all()'"
  ok flow-data $d --help
done
sh_ok "flow-data gaussian --dim 5 --mean 2 --std 0.5 -n 20000 | py 'a = np.load(data()); assert a.shape == (20000, 5); assert abs(a.mean() - 2) < 0.01 and abs(a.std() - 0.5) < 0.01'"
sh_ok "flow-data checkerboard -n 4000 --labels | py 'f = data(); a, l = np.load(f), np.load(f); c = np.floor((a + 4) / 2).astype(int); assert ((c.sum(1) % 2) == 0).all() and set(l) == set(range(8))'"
echo '{"weights": [1, 1], "means": [[-3, 0, 1], [3, 0, 1]], "vars": [0.01, [0.01, 0.01, 0.01]]}' >spec.json
sh_ok "flow-data mixture --spec spec.json -n 1000 --labels | py 'f = data(); a, l = np.load(f), np.load(f); assert a.shape == (1000, 3); assert (np.abs(a[:, 0] - np.where(l == 0, -3, 3)) < 0.5).all()'"
sh_ok "flow-data mixture --spec '{\"means\": [[1, 2]]}' -n 10 -f csv | grep -q '^x0,x1\$'"
sh_ok "flow-data moons --noise 0 -n 500 | py 'a = np.load(data()) / 2 + [0.5, 0.25]; e = np.minimum(abs(np.hypot(*a.T) - 1), abs(np.hypot(*(a - [1, 0.5]).T) - 1)); assert e.max() < 1e-6'"

# A grid: size * size cell centres, x fastest, so values reshape to (size, size)
sh_ok "flow-data grid --range -2:2,0:1 --size 4 | py 'g = np.load(data()).reshape(4, 4, 2); assert np.allclose(g[0, :, 0], [-1.5, -0.5, 0.5, 1.5]) and np.allclose(g[:, 0, 1], [0.125, 0.375, 0.625, 0.875])'"

# The digits: found without flags, or through $FLOWKIT_DATA or --file
sh_ok "flow-data digits | py 'f = data(); a, l = np.load(f), np.load(f); assert a.shape == (1797, 8, 8) and a.min() == 0 and a.max() == 1 and sorted(set(l)) == list(range(10))'"
mkdir data && { yes 16 | head -64 | paste -sd, | sed 's/$/,7/'; yes 0 | head -64 | paste -sd, | sed 's/$/,3/'; } | gzip >data/digits.csv.gz
sh_ok "FLOWKIT_DATA=\$PWD/data flow-data digits -f json | py 'j = json.load(sys.stdin); assert j[\"labels\"] == [7, 3] and np.array(j[\"data\"]).shape == (2, 8, 8) and j[\"data\"][0][7][7] == 1'"
sh_ok "flow-data digits --file data/digits.csv.gz | flow-data info | grep -q '^shape      (2, 8, 8)'"

# MNIST: the shipped 10,000 digits, bytes / 255, and the fixed split (100 of each class held out,
# the same rows as the whole set's first 100 of each class)
sh_ok "flow-data mnist | py 'f = data(); a, l = np.load(f), np.load(f); assert a.shape == (10000, 28, 28) and np.abs(a * 255 - np.round(a * 255)).max() < 1e-4 and np.bincount(l.astype(int)).min() > 800'"
sh_ok "flow-data mnist --part heldout -o held.npy && flow-data mnist --part train -o train.npy && flow-data mnist -o all.npy"
sh_ok "py 'f, g, h = open(\"held.npy\", \"rb\"), open(\"train.npy\", \"rb\"), open(\"all.npy\", \"rb\"); x, xl, y, yl, a, al = np.load(f), np.load(f), np.load(g), np.load(g), np.load(h), np.load(h); assert len(x) == 1000 and len(y) == 9000 and (np.bincount(xl.astype(int)) == 100).all(); first = np.concatenate([np.flatnonzero(al == c)[:100] for c in range(10)]); assert (a[first] == x).all() and np.isin(np.arange(10000), first, invert=True).sum() == 9000'"
bad 2 "unknown part 'test'; one of all, train, heldout" flow-data mnist --part test

# Image folders and IDX files
mkdir -p pics/zebra pics/ant
$MKPNG pics/zebra/1.png 3 2 1 10 && $MKPNG pics/ant/1.png 3 2 1 20 && $MKPNG pics/ant/2.png 3 2 1 255
sh_ok "flow-data images pics | py 'f = data(); a, l = np.load(f), np.load(f); assert a.shape == (3, 2, 3) and list(l) == [0, 0, 1]; assert a[0, 0, 0] == np.float32(20 / 255) and a[1, 0, 0] == 1 and a[1, 0, 1] == 0'"
sh_ok "flow-data images pics --channels 3 | py 'assert np.load(data()).shape == (3, 2, 3, 3)'"
py 'import gzip
img = bytes([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(range(0, 240, 20))
open("img.idx", "wb").write(img)
gzip.open("lab.idx.gz", "wb").write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 5, 6, 7]))'
sh_ok "flow-data idx img.idx lab.idx.gz | py 'f = data(); a, l = np.load(f), np.load(f); assert a.shape == (3, 2, 2) and list(l) == [5, 6, 7] and a[0, 0, 1] == np.float32(20 / 255)'"

# Conversions: NPY -> CSV -> JSON -> NPY gives the same bytes, labels included
ok flow-data 8gaussians -n 200 --labels -o g.npy
sh_ok "flow-data convert g.npy -f csv | flow-data convert -f json | flow-data convert - -o back.npy"
check "cmp -s g.npy back.npy" "NPY -> CSV -> JSON -> NPY changes nothing"
sh_ok "cat g.npy | flow-data convert -f csv | sed -n 1p | grep -qx 'x0,x1,label'"

# info: shape, dtype, count, per-dimension statistics, as text or JSON
sh_ok "flow-data info g.npy | grep -q '^format     npy (version 1.0, dtype .<f4., C order)'"
sh_ok "flow-data info g.npy | grep -q '^count      200 rows of 2 values'"
sh_ok "flow-data info g.npy -f json | py 'j = json.load(sys.stdin); a = np.load(\"g.npy\"); assert j[\"shape\"] == [200, 2] and j[\"companion\"][\"shape\"] == [200]; assert abs(j[\"dims\"][1][\"mean\"] - a[:, 1].mean()) < 1e-6 and j[\"dims\"][0][\"max\"] == a[:, 0].max()'"
# An empty array has no statistics (null, not inf and nan), and a header's (0, 10^9) allocates
# nothing (it took 19 GB)
py 'np.save("none.npy", np.zeros((0, 2), "<f4"))'
sh_ok "flow-data info none.npy -f json | py 'j = json.load(sys.stdin); assert j[\"count\"] == 0 and j[\"min\"] is None and j[\"mean\"] is None and j[\"dims\"] == [], j'"
sh_ok "flow-data info none.npy | grep -q '(no rows)'"
py 'import struct
d = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (0, 1000000000), }".ljust(117) + "\n"
open("wide.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode())'
sh_ok "flow-data info wide.npy -f json | py 'assert json.load(sys.stdin)[\"count\"] == 0'"
# its peak resident memory that of an empty (0, 2) array's (an address-space limit would not
# do: the sanitizers reserve terabytes)
peak() { /usr/bin/time -f %M -o "$1" "${@:2}" >/dev/null 2>"$1.err"; }
peak none.rss flow-data info none.npy -f json
peak wide.rss flow-data info wide.npy -f json
check "[ \$(tail -1 wide.rss) -le \$(( \$(tail -1 none.rss) + 32768 )) ]" "flow-data info (0, 10^9): peak $(tail -1 wide.rss) KB against $(tail -1 none.rss) KB"
# CSV: a byte-order mark and quoted numbers are data, not a header (the first row was dropped)
printf '\xef\xbb\xbf1,2\n3,4\n' > bom.csv
printf '"1","2"\n3,4\n' > quoted.csv
# ... and a header with numbers among its names (pandas' to_csv: an empty first name) is a header
printf 'label,0,1\n1,2,3\n4,5,6\n' > named.csv
printf ',0,1\n0,1.5,2.5\n1,3,4\n' > pandas.csv
for f in bom quoted named pandas; do
  sh_ok "flow-data info $f.csv | grep -q '^count      2 rows of [23] values'"
done
# latlon's columns: a BOM before the header, an empty chosen cell is an error (not a header)
printf '\xef\xbb\xbflat,lon,place\n10,20,a\n30,40,b\n' > places.csv
sh_ok "flow-data latlon --columns lat,lon places.csv -o ll.npy && py 'assert np.load(\"ll.npy\").shape == (2, 3)'"
printf '10,,x\n30,40,y\n' > holes.csv
bad 1 "non-numeric cell '' at line 1, column 2" flow-data latlon --columns 1,2 holes.csv -o ll2.npy
# Mixture weights whose sum overflows a double still weigh alike (every draw took the last)
ok flow-data mixture --spec '{"means": [[-5, 0], [5, 0]], "vars": [[1, 1], [1, 1]], "weights": [1e308, 1e308]}' -n 2000 --seed 1 -o w.npy
sh_ok "py 'f = (np.load(\"w.npy\")[:, 0] > 0).mean(); assert 0.45 < f < 0.55, f'"
py 'np.save("be.npy", np.asfortranarray(np.ones((4, 3), ">i2")))'
sh_ok "flow-data info be.npy | grep -q \"dtype '>i2', Fortran order\""

# split: seeded, labels travel with their rows, nothing lost
ok flow-data split g.npy --test-fraction 0.25 --seed 4 -o train.npy --test-output test.npy
ok flow-data split g.npy --test-fraction 0.25 --seed 4 -o train2.npy --test-output test2.npy
check "cmp -s train.npy train2.npy && cmp -s test.npy test2.npy" "split: the same seed gives the same parts"
sh_ok "py '
f = open(\"g.npy\", \"rb\"); a, l = np.load(f), np.load(f)
rows = {}
for name in [\"train.npy\", \"test.npy\"]:
    g = open(name, \"rb\"); b, m = np.load(g), np.load(g)
    rows[name] = len(b)
    for x, y in zip(b, m):
        i = np.where((a == x).all(1))[0]
        assert len(i) == 1 and l[i[0]] == y
assert rows == {\"train.npy\": 150, \"test.npy\": 50}'"
finish
