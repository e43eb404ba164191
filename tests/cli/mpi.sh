#!/usr/bin/env bash
# Several processes (mpirun, OpenMPI): `mpirun -np 2 flow-train` gives the bits of one process
# with as many gradient shards (--shards); `mpirun -np K flow-sample` and `flow-eval logp` give
# the bytes of one process; SIGTERM to one process leaves one checkpoint that resumes
# bit-exactly; bad data on one process ends every process with one error line, never a hang.
source "$(dirname "$0")/lib.sh"

need_mpi

$PYTHON -c "
import numpy as np
np.save('x.npy', np.random.default_rng(0).standard_normal((600, 2)).astype(np.float32))
np.save('y.npy', np.random.default_rng(1).standard_normal((600, 2)).astype(np.float32))"
head -c 100 x.npy >cut.npy
train="x.npy --batch 128 --width 32 --depth 2 -q --seed 3 --decay constant --lr 0.003"

# Training: 2 processes of 1 thread = 1 process with 2 shards, to the bit; 4 shards over 2
# processes of 2 threads = 1 process with 4 shards on 1 thread; and shards matter (a control)
ok mpi 2 flow-train $train --steps 60 --threads 1 -o mpi2.json --log mpi2.log
ok flow-train $train --steps 60 --threads 1 --shards 2 -o one2.json
check 'cmp -s mpi2.json one2.json' "mpirun -np 2 (1 thread each) and --shards 2 give different models"
ok mpi 2 flow-train $train --steps 60 --threads 2 --shards 4 -o mpi4.json
ok flow-train $train --steps 60 --threads 1 --shards 4 -o one4.json
check 'cmp -s mpi4.json one4.json' "mpirun -np 2 --shards 4 and one process --shards 4 give different models"
ok flow-train $train --steps 60 --threads 1 --shards 1 -o one1.json
check '! cmp -s one1.json one2.json' "1 and 2 shards gave the same bits: the comparisons above prove nothing"
# Only process 0 writes: one log (its lines each once), no stray files
check '[ "$(grep -c "\"step\":60," mpi2.log)" = 1 ]' "the log of mpirun -np 2 does not hold step 60 once ($(tail -2 mpi2.log))"
check '[ -z "$(ls | grep tmp)" ]' "temporary files left: $(ls | grep tmp)"
# A usage error that every process finds: status 2, one error line (mpirun adds its own report)
mpi 2 flow-train $train --steps 2 --shards 3 -o no.json 2>use.err
got=$?
check '[ "$got" = 2 ]' "--shards 3 over 2 processes: status $got, want 2"
check '[ "$(grep -c "flow-train: error: --shards 3 must be a positive multiple of the 2 processes" use.err)" = 1 ] &&
       [ "$(grep -c "error:" use.err)" = 1 ]' "--shards 3 over 2 processes: not one error line ($(cat use.err))"

# Sampling: 20,000 points are 10 chunks of 2048, dealt out in rounds of one chunk per process.
# Process 1 is told to write elsewhere (a wrapper): it must send its chunk, not write a file
cat >out1.sh <<'SH'
#!/bin/sh
[ "$OMPI_COMM_WORLD_RANK" = 1 ] && out=other.npy || out=$OUT
exec "$@" -o "$out"
SH
ok flow-sample -m one2.json -n 20000 --threads 1 -o s1.npy
OUT=s2.npy ok mpi 2 sh out1.sh flow-sample -m one2.json -n 20000 --threads 1
check 'cmp -s s1.npy s2.npy' "mpirun -np 2 flow-sample differs from one process"
check '[ ! -e other.npy ]' "process 1 of mpirun -np 2 flow-sample wrote a file of its own"
ok flow-sample -m one2.json -n 20000 --threads 1 --solver em --steps 20 -f csv -o e1.csv
ok mpi 3 flow-sample -m one2.json -n 20000 --threads 1 --solver em --steps 20 -f csv -o e3.csv
check 'cmp -s e1.csv e3.csv' "mpirun -np 3 flow-sample --solver em differs from one process"
check '[ "$(wc -l <e1.csv)" -ge 20000 ]' "the SDE samples are short ($(wc -l <e1.csv) lines)"
# Log densities: 10,000 points are 20 chunks of 512, from a file and from standard input
ok flow-eval logp -m one2.json s1.npy --steps 8 --threads 1 --with-points -o l1.npy
OUT=l2.npy ok mpi 2 sh out1.sh flow-eval logp -m one2.json s1.npy --steps 8 --threads 1 --with-points
check 'cmp -s l1.npy l2.npy' "mpirun -np 2 flow-eval logp differs from one process"
check '[ ! -e other.npy ]' "process 1 of mpirun -np 2 flow-eval logp wrote a file of its own"
# (standard output is mpirun's relay, a terminal: NPY all the same, and the same bytes)
sh_ok "timeout 120 mpirun --oversubscribe -np 2 flow-eval logp -m one2.json --steps 8 --threads 1 < s1.npy > l3.npy"
ok flow-eval logp -m one2.json s1.npy --steps 8 --threads 1 -o l4.npy
check 'cmp -s l3.npy l4.npy' "mpirun -np 2 flow-eval logp from standard input differs from one process"

# SIGTERM to process 1 (its pid from a wrapper), once training is under way: every process
# stops at the same step, process 0 writes one checkpoint, the status is 143; resuming under
# mpirun gives the bits of one uninterrupted process with 2 shards
cat >rank.sh <<'SH'
#!/bin/sh
echo $$ >pid.$OMPI_COMM_WORLD_RANK
exec "$@"
SH
rm -f pid.* t.log
# (a log line every 1000 steps; the wait is long for a loaded machine, the run far longer)
timeout 600 mpirun --oversubscribe -np 2 sh rank.sh flow-train $train --threads 1 --steps 200000 \
  --checkpoint t.ckpt --log t.log -o t.json 2>t.err &
run=$!
for _ in $(seq 1200); do [ -f pid.1 ] && [ -f t.log ] && [ "$(wc -l <t.log)" -ge 2 ] && break; sleep 0.1; done
kill -TERM "$(cat pid.1)"
wait $run
got=$?
check '[ "$got" = 143 ]' "SIGTERM to process 1: mpirun's status $got, want 143"
check '[ "$(grep -c "interrupted at step" t.err)" = 1 ]' "SIGTERM to process 1: not one line naming the checkpoint ($(cat t.err))"
check '[ ! -e t.json ]' "SIGTERM: an interrupted run wrote the model"
if [ -f t.ckpt ]; then
  step=$($PYTHON -c "import json; print(json.load(open('t.ckpt'))['checkpoint']['step'])")
  ok mpi 2 flow-train x.npy -q --threads 1 --resume t.ckpt --steps $((step + 30)) -o t.json
  ok flow-train $train --threads 1 --shards 2 --steps $((step + 30)) -o full.json
  check 'cmp -s full.json t.json' "SIGTERM: the run resumed under mpirun differs from an uninterrupted one"
else
  fail "SIGTERM to process 1 left no checkpoint ($(cat t.err))"
fi

# SIGTERM to mpirun itself (it passes the signal on to every process): one checkpoint, one line
rm -f u.ckpt u.log
timeout 600 mpirun --oversubscribe -np 2 flow-train $train --threads 1 --steps 200000 --checkpoint u.ckpt \
  --log u.log -o u.json 2>u.err &
run=$!
for _ in $(seq 1200); do [ -f u.log ] && [ "$(wc -l <u.log)" -ge 2 ] && break; sleep 0.1; done
kill -TERM $(pgrep -P $run mpirun)
wait $run
got=$?
check '[ "$got" != 0 ] && [ "$got" != 124 ]' "SIGTERM to mpirun: status $got"
check '[ "$(grep -c "interrupted at step" u.err)" = 1 ]' "SIGTERM to mpirun: not one line naming the checkpoint ($(cat u.err))"
check '$PYTHON -c "import json; assert json.load(open(\"u.ckpt\"))[\"checkpoint\"][\"step\"] >= 1000"' \
  "SIGTERM to mpirun: no checkpoint of the steps done"
check '[ ! -e u.json ]' "SIGTERM to mpirun: an interrupted run wrote the model"

# Bad data on process 1 only: every process ends, one error line naming the file, status 1,
# well inside the timeout (124 would be a hang); and good but different data on process 1
cat >bad.sh <<'SH'
#!/bin/sh
data=x.npy
[ "$OMPI_COMM_WORLD_RANK" = 1 ] && data=$BAD
exec flow-train "$data" --batch 128 --width 32 --depth 2 -q --threads 1 --steps 50 -o bad.json
SH
for case in cut.npy y.npy; do
  BAD=$case timeout 60 mpirun --oversubscribe -np 2 sh bad.sh >bad.out 2>bad.err
  got=$?
  check '[ "$got" = 1 ]' "$case on process 1: status $got, want 1 ($(cat bad.err))"
  check '[ "$(grep -c "flow-train: error:" bad.err)" = 1 ]' "$case on process 1: not one error line ($(cat bad.err))"
  check '[ ! -e bad.json ]' "$case on process 1: a model was written"
done
check 'grep -q "cut.npy" <(BAD=cut.npy timeout 60 mpirun --oversubscribe -np 2 sh bad.sh 2>&1)' "the error does not name the bad file"
check 'grep -q "different training data" <(BAD=y.npy timeout 60 mpirun --oversubscribe -np 2 sh bad.sh 2>&1)' \
  "different data on process 1 is not named as such"

# Diverged samples are counted on every process: u = 500 x overflows float in 100 Euler steps
# (6^100), so all 6,000 samples of the 3 chunks diverge, 2 chunks on process 0 and 1 on process 1
cat >blowup.json <<'J'
{"format": "flowkit-model", "version": 1, "type": "linear", "A": [[500, 0], [0, 500]], "b": [0, 0]}
J
mpi 2 flow-sample -m blowup.json -n 6000 --threads 1 --solver euler --steps 100 -o blow.npy 2>blow.err
check 'grep -q "6000 of 6000 samples diverged" blow.err' "mpirun -np 2: the divergence warning does not count every process ($(cat blow.err))"

# A U-Net under mpirun: sampling and bits per dimension give the bytes of one process
$PYTHON -c "
import numpy as np
np.save('img.npy', (np.random.default_rng(0).integers(0, 256, (64, 4, 4)) / 255).astype(np.float32))"
ok flow-train img.npy --net unet --channels 4,8 --groups 2 --embed 8 --batch 16 --steps 4 --threads 1 -q -o unet.json
ok flow-sample -m unet.json -n 40 --threads 1 --steps 3 -o u1.npy
OUT=u2.npy ok mpi 2 sh out1.sh flow-sample -m unet.json -n 40 --threads 1 --steps 3
check 'cmp -s u1.npy u2.npy' "mpirun -np 2 flow-sample of a U-Net differs from one process"
ok flow-eval logp -m unet.json img.npy --bpd --dequantize=256 --summary --threads 1 --steps 3 -o b1.json
OUT=b2.json ok mpi 2 sh out1.sh flow-eval logp -m unet.json img.npy --bpd --dequantize=256 --summary --threads 1 --steps 3
check 'cmp -s b1.json b2.json' "mpirun -np 2 flow-eval logp --bpd of a U-Net differs from one process"
# U-Net validation split over the processes (300 held out, 256 scored in 16 pieces of 16):
# the model of one process with 2 shards, validation loss included
$PYTHON -c "
import numpy as np
np.save('vimg.npy', np.random.default_rng(2).random((600, 4, 4)).astype(np.float32))"
vrun="vimg.npy --net unet --channels 4,8 --groups 2 --embed 8 --batch 16 --steps 3 --threads 1 --val-fraction 0.5 -q"
ok flow-train $vrun --shards 2 -o v1.json
ok mpi 2 flow-train $vrun -o v2.json
check 'cmp -s v1.json v2.json' "mpirun -np 2 U-Net validation differs from one process with 2 shards"
check 'grep -q "\"val_points\": 256" v2.json' "mpirun -np 2 U-Net validation set size"
# A discrete flow (token data) exchanges its gradients the same way: the bits of --shards 2
ok flow-sample -m "$FLOWKIT_SRC/share/models/discrete-table.json" -n 2000 --steps 100 --seed 1 -o tok.npy
ok mpi 2 flow-train tok.npy --batch 128 --width 32 -q --steps 30 --threads 1 -o mpi-tok.json
ok flow-train tok.npy --batch 128 --width 32 -q --steps 30 --threads 1 --shards 2 -o one-tok.json
check 'cmp -s mpi-tok.json one-tok.json' "discrete: mpirun -np 2 and --shards 2 give different models"
finish
