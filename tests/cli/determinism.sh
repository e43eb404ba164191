# Same seed and thread count, same bytes: training, sampling and density at 1 and at 2 threads,
# with sizes large enough for the threaded paths (parallel GEMMs, element-wise blocks, chunks).
source "$FLOWKIT_SRC/tests/cli/lib.sh"

train="--width 128 --depth 3 --batch 1024 --steps 4 --seed 3 -q"
for t in 1 2; do
  ok flow-train $train --threads $t -o a$t.json
  ok flow-train $train --threads $t -o b$t.json
  check "cmp -s a$t.json b$t.json" "flow-train at $t threads: two runs, different model files"
  ok flow-sample -m a$t.json -n 20000 --steps 3 --seed 4 --threads $t -o s$t.npy
  ok flow-sample -m a$t.json -n 20000 --steps 3 --seed 4 --threads $t -o r$t.npy
  check "cmp -s s$t.npy r$t.npy" "flow-sample at $t threads: two runs, different samples"
  ok flow-eval logp -m a$t.json s$t.npy --solver rk4 --steps 2 --threads $t -o l$t.npy
  ok flow-eval logp -m a$t.json s$t.npy --solver rk4 --steps 2 --threads $t -o k$t.npy
  check "cmp -s l$t.npy k$t.npy" "flow-eval logp at $t threads: two runs, different log densities"
done

# flow-eval logp gives the same bytes at 1 and 2 threads (each chunk of points runs on one
# thread), exact and Hutchinson, for one chunk and several; a width-256 network, whose
# products a second thread would block differently (its bytes differed at 3,000 points)
ok flow-train --toy checkerboard --width 256 --depth 3 --steps 2 --threads 1 -q -o wide.json
ok flow-data checkerboard -n 3000 --seed 5 -o pts.npy
ok flow-data checkerboard -n 300 --seed 5 -o few.npy
for p in pts few; do
  for div in exact hutchinson; do
    for t in 1 2; do ok flow-eval logp -m wide.json $p.npy --steps 3 --divergence $div --seed 6 --threads $t -o $p-$div-$t.npy; done
    check "cmp -s $p-$div-1.npy $p-$div-2.npy" "flow-eval logp ($p, $div): 1 and 2 threads give different bytes"
  done
done
# flow-sample --logp (its own density path) and plain samples of one chunk and of several
for n in 300 3000; do
  for t in 1 2; do ok flow-sample -m wide.json -n $n --steps 3 --logp --seed 7 --threads $t -o sl-$n-$t.npy; done
  check "cmp -s sl-$n-1.npy sl-$n-2.npy" "flow-sample --logp ($n points): 1 and 2 threads give different bytes"
done
finish
