#!/usr/bin/env bash
# The console against the scale scenario, as separate processes and the way the peers were
# measured (performance.md): `sim serve` with 2,000 Applications and 50,000 pods, the console in
# tmux at 160x48; resident memory, CPU idle and at 100 pod changes a second, bytes written to
# the terminal per second, and start → first data on screen. Prints numbers; asserts nothing.
#
#   benches/console_scale.sh            # APPS=2000 PODS_PER_APP=25 SECONDS_MEASURED=60
set -euo pipefail
cd "$(dirname "$0")/.."
APPS=${APPS:-2000}
PODS_PER_APP=${PODS_PER_APP:-25}
SECONDS_MEASURED=${SECONDS_MEASURED:-60}
cargo build --release --quiet
BIN=$PWD/target/release/k8tre-console
WORK=$(mktemp -d)
SIM_PID=""
cleanup() {
  tmux kill-session -t k8tre-scale 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export KUBECACHEDIR=$WORK/cache HOME=$WORK XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

start_estate() { # churn
  "$BIN" sim serve --scenario healthy --apps "$APPS" --pods-per-app "$PODS_PER_APP" --speed 10 \
    --churn "$1" --kubeconfig "$WORK/kubeconfig" > "$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 600); do
    [ -s "$WORK/kubeconfig" ] && break
    sleep 0.5
  done
  # Converged: every synthetic Application Synced and Healthy.
  for _ in $(seq 1 360); do
    ready=$(kubectl --kubeconfig "$WORK/kubeconfig" --context k8tre-mgmt get applications -n argocd \
      --no-headers 2>/dev/null | awk '$1 ~ /^syn-/ && $2 == "Synced" && $3 == "Healthy"' | wc -l)
    [ "$ready" -ge $(( (APPS + 2) / 3 * 3 )) ] && break
    sleep 5
  done
  echo "estate: $ready synthetic Applications Synced and Healthy, churn $1/s"
}

stop_estate() {
  kill "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
  SIM_PID=""
  rm -f "$WORK/kubeconfig"
}

measure_console() { # label
  rm -f "$WORK/stats"
  local started
  started=$(date +%s.%N)
  tmux new-session -d -s k8tre-scale -x 160 -y 48 \
    "$BIN --kubeconfig $WORK/kubeconfig --context k8tre-mgmt --stats $WORK/stats"
  local first=""
  for _ in $(seq 1 400); do
    if tmux capture-pane -p -t k8tre-scale | grep -q "Applications [1-9]"; then
      first=$(echo "$(date +%s.%N) - $started" | bc)
      break
    fi
    sleep 0.025
  done
  sleep 15
  local pid
  # The console itself, not tmux's shell around it.
  pid=""
  for candidate in $(pgrep -f -- "--stats $WORK/stats"); do
    [ "$(readlink "/proc/$candidate/exe")" = "$BIN" ] && pid=$candidate
  done
  local t0 b0
  t0=$(ticks "$pid")
  b0=$(tail -1 "$WORK/stats" | sed 's/.*bytes=//')
  sleep "$SECONDS_MEASURED"
  local t1 b1
  t1=$(ticks "$pid")
  b1=$(tail -1 "$WORK/stats" | sed 's/.*bytes=//')
  local cpu bytes
  cpu=$(echo "scale=2; ($t1 - $t0) * 100 / $hz / $SECONDS_MEASURED" | bc)
  bytes=$(echo "scale=1; ($b1 - $b0) / $SECONDS_MEASURED" | bc)
  echo "console ($1): first data on screen after ${first:-?} s; resident $(rss_mib "$pid") MiB; CPU $cpu % of a core; $bytes bytes/s to the terminal"
  tmux send-keys -t k8tre-scale q
  sleep 2
  tmux kill-session -t k8tre-scale 2>/dev/null || true
}

start_estate 0
measure_console "idle"
stop_estate
start_estate 100
measure_console "100 pod changes/s"
