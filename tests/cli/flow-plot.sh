# flow-plot: every kind of picture from streams written by numpy, sizes read back from the
# PNG header and the decoded pixels; SVG parsed as XML and PDF's header and pages, both rendered
# (rsvg-convert, pdftoppm) at low resolution and compared with the PNG; bad input answered by
# one line, a status and no file.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

# Inputs, written by numpy
$PYTHON - <<'PY'
import numpy as np
rng = np.random.default_rng(0)
np.save("pts.npy", rng.normal(size=(3000, 2)).astype("f4"))
np.save("other.npy", rng.normal(size=(200, 2)).astype("f4") + 3)
g = (np.arange(30) + 0.5) / 30 * 4 - 2
X, Y = np.meshgrid(g, g)
rows = np.stack([X.ravel(), Y.ravel(), -(X.ravel() ** 2 + Y.ravel() ** 2)], 1).astype("f4")
np.save("grid.npy", rng.permutation(rows))
np.save("values.npy", rows[:, 2].copy())
np.save("field.npy", np.stack([X.ravel(), Y.ravel(), -Y.ravel(), X.ravel()], 1).astype("f4"))
with open("traj.npy", "wb") as f:
    np.save(f, rng.normal(size=(11, 50, 2)).astype("f4"))
    np.save(f, np.linspace(0, 1, 11).astype("f4"))
with open("digits.npy", "wb") as f:
    np.save(f, rng.uniform(size=(20, 8, 8)).astype("f4"))
    np.save(f, (np.arange(20) % 4).astype("f4"))
with open("imtraj.npy", "wb") as f:
    np.save(f, rng.uniform(size=(21, 5, 64)).astype("f4"))
    np.save(f, np.linspace(0, 1, 21).astype("f4"))
np.save("rgb.npy", rng.uniform(size=(6, 5, 5, 3)).astype("f4"))
np.save("five.npy", np.zeros((10, 5), "f4"))
np.save("empty.npy", np.zeros((0, 2), "f4"))
nan = np.zeros((10, 2), "f4"); nan[7, 1] = np.nan
np.save("nan.npy", nan)
PY

# png_size FILE: "WxH" from the IHDR chunk, or nothing when FILE is not a PNG
png_size() {
  $PYTHON -c 'import struct, sys
b = open(sys.argv[1], "rb").read(24)
if b[:8] == b"\x89PNG\r\n\x1a\n": print("%dx%d" % struct.unpack(">II", b[16:24]))' "$1"
}

# Each kind, chosen by shape, at the default or a given size
ok flow-plot pts.npy -o scatter.png
check '[ "$(png_size scatter.png)" = 640x640 ]' "scatter: not a 640x640 PNG"
ok flow-plot pts.npy --kind hist --bins 20 --size 300x200 -o hist.png
check '[ "$(png_size hist.png)" = 300x200 ]' "hist: --size not honoured"
ok flow-plot grid.npy --title "a bowl" -o heat.png
ok flow-plot values.npy --heatmap --range -2:2 --vmin -3 --vmax 0 -o values.png
ok flow-plot field.npy -o field.png
ok flow-plot traj.npy --overlay other.npy -o traj.png
ok flow-plot pts.npy --overlay other.npy --range -4:6,-4:6 -o overlay.png
for f in heat values field traj overlay; do
  check '[ "$(png_size $f.png)" = 640x640 ]' "$f: not a 640x640 PNG"
done

# Image grids: exact sizes from scale, gap (a tenth of a cell, at least 2) and layout
ok flow-plot digits.npy --scale 4 --cols 5 -o digits.png   # 4 x 5 cells of 32 px, gap 3
check '[ "$(png_size digits.png)" = 178x143 ]' "image grid: size $(png_size digits.png), want 178x143"
ok flow-plot digits.npy --by-label --scale 4 -o bylabel.png  # 4 labels x 5 images + label column
check '[ "$(png_size bylabel.png | cut -dx -f2)" = 143 ]' "by-label grid: want 4 rows (height 143)"
ok flow-plot imtraj.npy -o imtraj.png
ok flow-plot rgb.npy -o rgb.png
ok flow-plot digits.npy --kind images --rows 2 --cols 3 -o small.png
# A title widens a narrow grid to at most 1600 pixels and is cut there (one of 100,000
# characters made the grid too big to draw, blaming --rows/--cols)
ok flow-plot digits.npy --kind images --rows 2 --cols 3 --title "$(head -c 100000 /dev/zero | tr '\0' x)" -o long.png
check '[ "$(png_size long.png | cut -dx -f1)" = 1600 ]' "a long title: want a grid 1600 pixels wide, got $(png_size long.png)"

# Decoded (not only the header), and points at known places darken those places: a cluster at
# (2, 2) lies left of and below one at (8, 8), each in its quarter of the picture
pic() { $PYTHON "$FLOWKIT_SRC/tests/cli/pictures.py" "$@"; }
check '[ "$(pic size scatter.png)" = 640x640 ]' "scatter.png does not decode to 640x640"
$PYTHON -c 'import numpy as np
r = np.random.default_rng(1).normal(scale=0.2, size=(400, 2))
np.save("low.npy", (r + 2).astype("f4")); np.save("high.npy", (r + 8).astype("f4"))'
ok flow-plot low.npy --range 0:10 -o low.png
ok flow-plot high.npy --range 0:10 -o high.png
read -r lx ly ln <<<"$(pic centroid low.png)"
read -r hx hy hn <<<"$(pic centroid high.png)"
check "awk 'BEGIN { exit !($lx > 0.1 && $lx < 0.4 && $ly > 0.6 && $ly < 0.9 && $ln > 1000) }'" \
  "points at (2, 2) are not drawn in the lower left: $lx $ly ($ln pixels)"
check "awk 'BEGIN { exit !($hx > 0.6 && $hx < 0.9 && $hy > 0.1 && $hy < 0.4 && $hn > 1000) }'" \
  "points at (8, 8) are not drawn in the upper right: $hx $hy ($hn pixels)"
check "awk 'BEGIN { d = ($hx - $lx) - 0.6 * 560 / 640; exit !(d > -0.05 && d < 0.05) }'" \
  "6 units of 10 are not about 60% of the plot area: $lx to $hx"

# A line plot: a line per label through its rows in order of x (given out of order: the V of
# line 0, (0, 8) (5, 2) (10, 8), inks the left slope's middle, which the rows' own order,
# (0, 8) (10, 8) (5, 2), would leave blank), a legend naming the lines
$PYTHON -c 'import numpy as np
f = open("lines.npy", "wb")
np.save(f, np.array([[0, 8], [10, 8], [5, 2], [0, 1], [10, 1]], "f4")); np.save(f, np.array([0, 0, 0, 1, 1], "i4"))
f = open("halves.npy", "wb")
np.save(f, np.array([[0, 1], [1, 2]], "f4")); np.save(f, np.array([0.5, 1], "f4"))'
ok flow-plot lines.npy --kind lines --range 0:10 --legend "V,flat" -o lines.png
check "[ $(pic ink lines.png 0.2 0.4 0.4 0.6) -gt 20 ]" "the V's left slope is not drawn: $(pic ink lines.png 0.2 0.4 0.4 0.6) pixels"
ok flow-plot lines.npy --kind lines --range 0:10 -o lines-default.png
check '! cmp -s lines.png lines-default.png' "--legend changes nothing"
bad 2 "--legend names 3 lines, the data have 2" flow-plot lines.npy --kind lines --legend a,b,c -o x.png
bad 1 "label 0.5 \(row 0\) is not a whole number" flow-plot halves.npy --kind lines -o x.png
bad 2 "a line plot takes no --overlay" flow-plot lines.npy --kind lines --overlay pts.npy -o x.png

# SVG and PDF: the format from the name (or -f), pages in points (pixels at --dpi), the same
# picture as the PNG when rendered at a quarter of its size
ok flow-plot pts.npy --title "3000 points" --xlabel x --ylabel y -o s.png
ok flow-plot pts.npy --title "3000 points" --xlabel x --ylabel y -o s.svg
ok flow-plot pts.npy --title "3000 points" --xlabel x --ylabel y -o s.PDF
check '[ "$(pic svg s.svg)" = "480pt 480pt" ]' "s.svg: not an XML page of 480x480 pt: $(pic svg s.svg 2>&1 | tail -1)"
check '[ "$(pic pdf s.PDF)" = "%PDF- 1 480 480" ]' "s.PDF: not one PDF page of 480x480 pt: $(pic pdf s.PDF)"
ok flow-plot grid.npy --title bowl -o h.png
ok flow-plot grid.npy --title bowl -o h.svg
ok flow-plot grid.npy --title bowl -o h.pdf
for p in s h; do  # a scatter plot (mostly white) and a heat map (mostly colour)
  rsvg-convert -w 160 -h 160 $p.svg -o $p-svg-small.png
  pdf=$p.pdf && [ $p = s ] && pdf=s.PDF
  pdftoppm -singlefile -png -scale-to-x 160 -scale-to-y 160 $pdf $p-pdf-small
  for r in svg pdf; do  # on this machine: 0.4 and 2.9 (scatter), 0.8 and 4.0 (heat map)
    d=$(pic diff $p.png $p-$r-small.png)
    check "awk 'BEGIN { exit !($d < 6) }'" "$p.$r renders differently from $p.png (mean difference $d of 255)"
  done
done
ok flow-plot grid.npy --heatmap -o heat.pdf
pdftoppm -singlefile -png -scale-to-x 160 -scale-to-y 160 heat.pdf heat-small
check "awk 'BEGIN { exit !($(pic diff s.png heat-small.png) > 30) }'" "the comparison does not tell two pictures apart"
ok flow-plot digits.npy --by-label --scale 4 -o bylabel.svg
check '[ "$(pic svg bylabel.svg)" = "$(png_size bylabel.png | awk -Fx "{ print \$1 * 0.75 \"pt \" \$2 * 0.75 \"pt\" }")" ]' \
  "an image grid's SVG page is not its pixels at 96 dpi: $(pic svg bylabel.svg)"
# Bitmaps are never smoothed: a PDF viewer is told not to interpolate them
ok flow-plot digits.npy --by-label --scale 4 -o bylabel.pdf
check 'grep -aq "/Interpolate false" bylabel.pdf && ! grep -aq "/Interpolate true" bylabel.pdf' \
  "the image grid's PDF lets viewers smooth the images"
sh_ok 'flow-plot pts.npy -f svg -o - > stdout.svg'
check '[ "$(pic svg stdout.svg)" = "480pt 480pt" ]' "-f svg -o -: no SVG on standard output"
ok flow-plot pts.npy -f pdf -o picture
check '[ "$(pic pdf picture | cut -d" " -f1,2)" = "%PDF- 1" ]' "-f pdf with a name without an ending: no PDF"
ok flow-plot pts.npy --size 288x216pt --dpi 200 -o pt.png
check '[ "$(png_size pt.png)" = 800x600 ]' "--size 288x216pt at 200 dpi: $(png_size pt.png), want 800x600"
ok flow-plot pts.npy --size 4x3in --dpi 50 -o in.pdf
check '[ "$(pic pdf in.pdf)" = "%PDF- 1 288 216" ]' "--size 4x3in: not a 288x216 pt page: $(pic pdf in.pdf)"

# Standard input in, standard output (not a terminal) out, CSV too
sh_ok 'flow-plot -o stdin.png < pts.npy'
check '[ "$(png_size stdin.png)" = 640x640 ]' "stdin: no PNG"
sh_ok 'flow-plot pts.npy -o - > stdout.png'
check '[ "$(png_size stdout.png)" = 640x640 ]' "-o -: no PNG on standard output"
sh_ok "$PYTHON -c 'import numpy as np; np.savetxt(\"p.csv\", np.load(\"pts.npy\"), delimiter=\",\")' && flow-plot p.csv -o csv.png"
check 'cmp -s scatter.png csv.png' "the same points from CSV and NPY draw different pictures"
ok flow-plot pts.npy -q -o quiet.png
check 'cmp -s scatter.png quiet.png' "drawing is not deterministic"

# Bad input: one line, status, no file
bad 2 "required" flow-plot pts.npy
bad 2 "unknown kind 'pie'; one of scatter, hist" flow-plot pts.npy --kind pie -o x.png
bad 2 "bad range" flow-plot pts.npy --range 1:0 -o x.png
bad 2 "bad --size" flow-plot pts.npy --size big -o x.png
bad 2 "out of range" flow-plot pts.npy --size 10x10 -o x.png
bad 2 "bad --size" flow-plot pts.npy --size 3x2mm -o x.png
bad 2 "dpi" flow-plot pts.npy --dpi 0 -o x.png
bad 2 "cannot tell the picture format from the name x.jpg; end it in .png, .svg or .pdf" \
  flow-plot pts.npy -o x.jpg
bad 2 "cannot tell the picture format" flow-plot pts.npy -o x
bad 2 "-f svg contradicts" flow-plot pts.npy -f svg -o x.png
bad 2 "unknown picture format 'gif'; one of png, svg, pdf" flow-plot pts.npy -f gif -o x.gif
bad 1 "cannot open no/such/dir/x.png" flow-plot pts.npy -o no/such/dir/x.png
mkdir ro && chmod 555 ro
[ "$(id -u)" = 0 ] || bad 1 "cannot open ro/x.svg" flow-plot pts.npy -o ro/x.svg
# No font at all (fontconfig given an empty configuration): one line, no picture
printf '<?xml version="1.0"?>\n<fontconfig><cachedir>%s/fc</cachedir></fontconfig>\n' "$T" >nofonts.conf
bad 1 "no font found.*fonts-dejavu-core" env FONTCONFIG_FILE="$T/nofonts.conf" flow-plot pts.npy -o x.png
bad 1 "no font found" env FONTCONFIG_FILE="$T/nofonts.conf" flow-plot digits.npy --by-label -o x.pdf
bad 2 "contradicts" flow-plot pts.npy --heatmap --kind scatter -o x.png
bad 2 "needs --range" flow-plot values.npy --heatmap -o x.png
bad 2 "by-label needs labels" flow-plot rgb.npy --by-label -o x.png
bad 1 "cannot tell what to draw.*\(10, 5\)" flow-plot five.npy -o x.png
bad 1 "needs an array of shape \(n, 2\)" flow-plot grid.npy --kind scatter -o x.png
bad 1 "empty" flow-plot empty.npy -o x.png
bad 1 "NaN or Inf \(row 7" flow-plot nan.npy -o x.png
bad 1 "overlay.*\(10, 5\)" flow-plot pts.npy --overlay five.npy -o x.png
bad 1 "missing.npy" flow-plot missing.npy -o x.png
: >zero.npy
bad 1 "empty|zero|no data" flow-plot zero.npy -o x.png
# Never a PNG to a terminal (script(1) gives the program one)
if command -v script >/dev/null; then
  out=$(script -qec "flow-plot pts.npy -o -" /dev/null 2>&1)
  rc=$?
  check '[ $rc = 2 ] && grep -q "refusing to write a PNG to a terminal" <<<"$out"' "a PNG went to a terminal: $out"
fi
check '[ -z "$(ls | grep -E "^x(\.|$)")" ] && [ -z "$(ls ro)" ]' "an error left an output file: $(ls)"
finish
