# flow-plot --projection: the sphere on Mollweide's map, the equirectangular map and the
# orthographic globe, and the torus's square. Pixel facts: a cluster at latitude/longitude
# (0, 0) lands in the middle of each map, one at the north pole at its top, one 90 degrees east
# at 3/4 of the maps' width (the globe's rim); a density rising with z is yellow at the top and
# dark at the bottom; paths across the torus's seam, or the maps' edge meridian, leave the
# middle of the picture blank where a flat plot crosses it; wrapped angles draw the picture of
# the same angles in [0, 2 pi). Bad input: one line.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

$PYTHON - <<'PY'
import numpy as np
rng = np.random.default_rng(0)
def cluster(lat, lon, n=300, s=0.04):
    a, b = np.radians(lat), np.radians(lon)
    c = np.array([np.cos(a) * np.cos(b), np.cos(a) * np.sin(b), np.sin(a)])
    x = c + s * rng.normal(size=(n, 3))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype("f4")
np.save("centre.npy", cluster(0, 0)); np.save("north.npy", cluster(90, 0)); np.save("east.npy", cluster(0, 90))
np.save("far.npy", cluster(0, 180))
np.save("long.npy", np.array([[1.01, 0, 0]], "f4"))
t = np.linspace(0, 1, 31)[:, None, None]
a = np.array([[5.6, 3.0], [5.9, 2.6], [5.4, 3.6]]); b = np.array([[0.7, 3.2], [0.9, 2.9], [0.8, 3.3]])
d = (b - a + np.pi) % (2 * np.pi) - np.pi
np.save("seam.npy", ((a[None] + t * d[None]) % (2 * np.pi)).astype("f4"))
p = (np.array([[1.0, 1.2], [2.0, 5.5], [4.0, 0.3]]) + rng.normal(scale=0.2, size=(200, 3, 2))).reshape(-1, 2) % (2 * np.pi)
np.save("angles.npy", p.astype("f4"))
np.save("angles-shifted.npy", (p + 2 * np.pi * rng.integers(-2, 3, size=p.shape)).astype("f4"))
lat = np.radians([40, 0, -30.])[None, :]; lon = np.radians(150 + 60 * np.linspace(0, 1, 31))[:, None]
np.save("dateline.npy", np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat) + 0 * lon], -1).astype("f4"))
PY
pic() { $PYTHON "$FLOWKIT_SRC/tests/cli/pictures.py" "$@"; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

# Where points land, as fractions of the map's outline box
for p in mollweide equirect ortho; do
  for c in centre north east; do ok flow-plot $c.npy --projection $p -o $p-$c.png; done
  read -r x y size <<<"$(pic map $p-centre.png)"
  check "within $x 0.48 0.52 && within $y 0.48 0.52" "$p: (0, 0) is not drawn in the middle: $x $y"
  read -r x y size <<<"$(pic map $p-north.png)"
  check "within $x 0.45 0.55 && within $y 0 0.06" "$p: the north pole is not at the top: $x $y"
  read -r x y size <<<"$(pic map $p-east.png)"
  want=0.75 && [ $p = ortho ] && want=0.98
  check "within $x $(awk "BEGIN { print $want - 0.025 }") $(awk "BEGIN { print $want + 0.025 }") && within $y 0.47 0.53" \
    "$p: 90 degrees east is not at $want of the width: $x $y"
done
# the maps' shapes: Mollweide's ellipse and the rectangle twice as wide as high, the globe round
for p in mollweide equirect ortho; do
  read -r x y size <<<"$(pic map $p-centre.png)"
  w=${size%x*} h=${size#*x}
  want=2 && [ $p = ortho ] && want=1
  check "within $(awk "BEGIN { print $w / $h }") $(awk "BEGIN { print $want * 0.98 }") $(awk "BEGIN { print $want * 1.02 }")" \
    "$p: the outline is $size, not $want to 1"
done
# The globe shows the hemisphere facing --centre: (0, 180) is hidden, then in the middle
ok flow-plot far.npy --projection ortho -o hidden.png
check '[ "$(pic centroid hidden.png | cut -d" " -f3)" = 0 ]' "the globe draws points of its far side"
ok flow-plot far.npy --projection ortho --centre 0,180 -o facing.png
read -r x y size <<<"$(pic map facing.png)"
check "within $x 0.48 0.52 && within $y 0.48 0.52" "--centre 0,180 does not face (0, 180): $x $y"

# A density on a latitude-longitude grid: value z, yellow at the top and dark at the bottom
sh_ok "flow-data grid --sphere --size 30 -o g.npy"
check '[ "$(flow-data info g.npy | grep -c "(1800, 3)")" = 1 ]' "grid --sphere --size 30: not 1800 points"
sh_ok "$PYTHON -c 'import numpy as np; g = np.load(\"g.npy\"); np.save(\"gz.npy\", np.concatenate([g, g[:, 2:]], 1))'"
for p in mollweide equirect ortho; do
  ok flow-plot gz.npy --projection $p -o $p-heat.png
  read -r top bottom <<<"$(pic bands $p-heat.png)"
  check "within $top 0 0.35 && within $bottom 0.65 1" "$p: a density rising with z is not yellow on top: $top $bottom"
done
# rows of a latitude-longitude grid only
sh_ok "$PYTHON -c 'import numpy as np; np.save(\"gz-short.npy\", np.load(\"gz.npy\")[:-1])'"
bad 1 "latitude-longitude grid" flow-plot gz-short.npy --projection mollweide -o x.png

# Across the seam: the torus's paths leave the middle blank, a flat plot crosses it
ok flow-plot seam.npy --projection torus -o seam.png
ok flow-plot seam.npy --range 0:6.2832 -o seam-flat.png
n_torus=$(pic ink seam.png 0.3 0.3 0.7 0.7) n_flat=$(pic ink seam-flat.png 0.3 0.3 0.7 0.7)
check "[ $n_torus = 0 ] && [ $n_flat -gt 500 ]" \
  "paths across the torus's seam are drawn across the square: $n_torus dark pixels in the middle (flat: $n_flat)"
ok flow-plot dateline.npy --projection equirect -o dateline.png
ok flow-plot dateline.npy --projection equirect --centre 0,180 -o dateline-centred.png
n_cut=$(pic ink dateline.png 0.25 0.15 0.75 0.85) n_mid=$(pic ink dateline-centred.png 0.25 0.15 0.75 0.85)
check "[ $n_cut = 0 ] && [ $n_mid -gt 300 ]" \
  "paths across the map's edge are drawn across the map: $n_cut dark pixels in the middle (centred on them: $n_mid)"
# Angles off [0, 2 pi) draw where their wrapped values do
ok flow-plot angles.npy --projection torus -o angles.png
ok flow-plot angles-shifted.npy --projection torus -o angles-shifted.png
d=$(pic diff angles.png angles-shifted.png)
check "within $d 0 0.05" "angles 2 pi k apart draw differently: mean difference $d"
check "[ $(pic centroid angles.png | cut -d" " -f3) -gt 1000 ]" "the wrapped angles are not drawn"

# Bad input: one line, no picture
bad 1 "unit vectors.*row 0 has norm 1.01" flow-plot long.npy --projection mollweide -o x.png
bad 1 "cannot tell what to draw on a sphere map.*\(300, 2\)|\(600, 2\)" flow-plot angles.npy --projection ortho -o x.png
bad 2 "a mollweide map draws scatter, heatmap or traj, not hist" flow-plot centre.npy --projection mollweide --kind hist -o x.png
bad 2 "--range does not apply to a sphere map" flow-plot centre.npy --projection equirect --range 0:1 -o x.png
bad 2 "--centre needs a sphere map" flow-plot angles.npy --projection torus --centre 0,0 -o x.png
bad 2 "bad --centre '91,0'; the latitude" flow-plot centre.npy --projection ortho --centre 91,0 -o x.png
bad 2 "bad --centre 'north'" flow-plot centre.npy --projection ortho --centre north -o x.png
bad 2 "unknown projection 'robinson'; one of flat, mollweide" flow-plot centre.npy --projection robinson -o x.png
bad 1 "overlay.*\(n, 3\)" flow-plot centre.npy --projection ortho --overlay angles.npy -o x.png
bad 2 "--range does not go with --sphere" flow-data grid --sphere --range 0:1 -o x.npy
check '[ -z "$(ls | grep -E "^x\.")" ]' "an error left an output file: $(ls)"
finish
