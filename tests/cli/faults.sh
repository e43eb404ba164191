# Faults: a full disk and an unwritable folder are clear errors with nothing half written; a
# broken pipe is a quiet exit; a training run killed with SIGKILL at random moments leaves its
# model and checkpoint either as they were or complete and loadable; SIGINT and SIGTERM during
# training write a checkpoint, exit 130 / 143 and --resume continues bit-exactly.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

$PYTHON -c "
import numpy as np
np.save('x.npy', np.random.default_rng(0).standard_normal((512, 2)).astype(np.float32))"
# A folder no one may write to: as root permissions do not hold, so a path inside /proc
if [ "$(id -u)" = 0 ]; then ro=/proc/self; else mkdir ro && chmod 555 ro && ro=$T/ro; fi

# Full disk and unwritable folders: one clear line, status 1, nothing (no temporary) left
bad 1 "/dev/full|No space" flow-data moons -n 1000 -o /dev/full
sh_ok '! flow-data moons -n 1000 >/dev/full 2>err && grep -q "^flow-data: error: .*No space" err && [ "$(wc -l <err)" = 1 ]'
bad 1 "cannot write|Permission|No such|denied" flow-data moons -n 1000 -o "$ro/moons.npy"
echo '{"format": "flowkit-model", "version": 1, "type": "linear", "A": [[0, -1], [1, 0]]}' >rot.json
bad 1 "/dev/full|No space" flow-sample -m rot.json -n 100000 -o /dev/full
bad 1 "cannot write|Permission|No such|denied" flow-sample -m rot.json -n 1000 -o "$ro/s.npy"
sh_ok '! flow-sample -m rot.json -n 100000 >/dev/full 2>err && grep -q "^flow-sample: error: .*No space" err'
bad 1 "/dev/full|No space" flow-train x.npy --steps 3 --batch 32 --width 8 --depth 1 -q -o /dev/full
bad 1 "cannot write|Permission|No such|denied" flow-train x.npy --steps 3 --batch 32 --width 8 --depth 1 -q -o "$ro/m.json"
check '[ -z "$(ls -A "$T" | grep -v -e "^x.npy$" -e "^rot.json$" -e "^err$" -e "^\.out$" -e "^\.err$" -e "^ro$")" ]' \
  "a failed write left files: $(ls -A "$T")"

# SIGINT or SIGTERM while the output is being written: the program ends with the signal's
# status (130, 143) and its temporary file goes with it (nothing half-written is left)
for sig in INT TERM; do
  mkdir "sig$sig"
  (cd "sig$sig" && timeout --preserve-status -s "$sig" 3 flow-sample -m ../rot.json -n 2000000000 -q -o s.npy 2>/dev/null)
  s=$?
  checks=$((checks + 1))
  [ "$s" = $((128 + $(kill -l "$sig"))) ] || fail "SIG$sig during a write: status $s"
  check '[ -z "$(ls -A "sig$sig")" ]' "SIG$sig during a write left: $(ls -A "sig$sig")"
  rmdir "sig$sig" 2>/dev/null
done

# A broken pipe: a quiet exit (status 0 or 141, nothing on stderr)
quiet_pipe() {
  checks=$((checks + 1))
  bash -c "$1 2>pipe.err | head -c 100 >/dev/null; exit \${PIPESTATUS[0]}"
  local s=$?
  { [ "$s" = 0 ] || [ "$s" = 141 ]; } || fail "broken pipe: status $s: $1"
  [ ! -s pipe.err ] || fail "broken pipe printed: $1 ($(cat pipe.err))"
}
quiet_pipe "flow-data moons -n 2000000"
quiet_pipe "flow-data moons -n 200000 -f csv"
quiet_pipe "flow-data convert x.npy -f json"
quiet_pipe "flow-sample -m rot.json -n 2000000"
quiet_pipe "flow-traj -m rot.json -n 200000 --steps 20"

train="x.npy --batch 64 --width 32 --depth 2 -q --threads 1 --seed 3 --decay constant"

# Loadable: the model file is a complete model that flow-sample samples (a failure to sample
# the reference model fails the test); the checkpoint resumes
ok flow-train $train --steps 5 -o ref.json
ok flow-sample -m ref.json -n 3 --steps 2 -q -o ref-samples.npy
loadable_model() { $PYTHON -c "import json, sys; m = json.load(open(sys.argv[1])); assert m['weights']" "$1" 2>/dev/null &&
                   flow-sample -m "$1" -n 3 --steps 2 -q -o loaded.npy 2>/dev/null; }
loadable_ckpt() { $PYTHON -c "import json, sys; c = json.load(open(sys.argv[1])); assert c['checkpoint']['step'] >= 1" "$1" 2>/dev/null; }

# SIGKILL at random moments of short runs (checkpoints every 5 steps; the kill lands before,
# during or after the model is written): each file either as it was or complete and loadable
RANDOM=7
written=0
for i in $(seq 1 20); do
  cp -p m.json m.before 2>/dev/null || rm -f m.before
  cp -p m.ckpt c.before 2>/dev/null || rm -f c.before
  flow-train $train --steps $((100 + RANDOM % 400)) --checkpoint-every 5 --checkpoint m.ckpt -o m.json 2>/dev/null &
  pid=$!
  sleep "0.$(printf %03d $((RANDOM % 400)))"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ -e m.json ] && ! { [ -e m.before ] && cmp -s m.json m.before; } && written=$((written + 1))
  for pair in "m.json m.before loadable_model" "m.ckpt c.before loadable_ckpt"; do
    set -- $pair
    checks=$((checks + 1))
    if [ -e "$1" ] && ! { [ -e "$2" ] && cmp -s "$1" "$2"; } && ! $3 "$1"; then
      fail "kill $i: $1 is neither as it was nor complete ($(head -c 100 "$1"))"
    fi
  done
done
echo "SIGKILL: 20 runs killed, $written of them had written their model"
check 'loadable_ckpt m.ckpt' "20 killed runs left no loadable checkpoint"
step=$($PYTHON -c "import json; print(json.load(open('m.ckpt'))['checkpoint']['step'])" 2>/dev/null)
ok flow-train x.npy -q --threads 1 --resume m.ckpt --steps $((step + 5)) -o resumed.json
check 'loadable_model resumed.json' "the run resumed after the kills gave no loadable model"

# SIGINT and SIGTERM, once training is under way (its log has lines): a checkpoint, status
# 130 / 143, one line saying where; --resume for 100 more steps gives the bytes of an
# uninterrupted run of as many steps (constant learning rate: the length does not matter)
for sig in INT TERM; do
  want=$([ $sig = INT ] && echo 130 || echo 143)
  rm -f s.ckpt s.json s.log
  # (a script's background jobs ignore SIGINT: restore its default before flow-train starts)
  $PYTHON -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    flow-train $train --steps 1000000 --checkpoint s.ckpt --log s.log -o s.json 2>sig.err &
  pid=$!
  for _ in $(seq 100); do [ -f s.log ] && [ "$(wc -l <s.log)" -ge 10 ] && break; sleep 0.1; done
  kill -$sig "$pid"
  wait "$pid"
  got=$?
  check '[ "$got" = "$want" ]' "SIG$sig: status $got, want $want"
  check 'grep -q "s.ckpt" sig.err && [ "$(wc -l <sig.err)" = 1 ]' "SIG$sig: no one line naming the checkpoint ($(cat sig.err))"
  check '[ ! -e s.json ]' "SIG$sig: an interrupted run wrote the model"
  if ! loadable_ckpt s.ckpt; then fail "SIG$sig: no loadable checkpoint"; continue; fi
  step=$($PYTHON -c "import json; print(json.load(open('s.ckpt'))['checkpoint']['step'])")
  ok flow-train x.npy -q --threads 1 --resume s.ckpt --steps $((step + 100)) -o s.json
  ok flow-train $train --steps $((step + 100)) -o full.json
  check 'cmp -s full.json s.json' "SIG$sig: the resumed run differs from an uninterrupted one"
done
finish
