#!/usr/bin/env bash
# The interactive `kgforge review` under tmux (label `cli`): a reviewer accepts one record,
# rejects the next with a reason, adds a note, cancels a reject with Esc, is refused an empty
# reason and a note without a decision, and quits; the decisions are in the store, the
# screen showed the check trail and provenance. Usage: review_tty_test.sh KGFORGE_BINARY
set -euo pipefail
kgforge=$1
work=$(mktemp -d)
session="kgfreview$$"
# A server of its own: on the shared default socket, another run's last kill-session stops the
# server under this one ("server exited unexpectedly").
sock="$work/tmux.sock"
cleanup() { tmux -S "$sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

printf 'France\tcapital\tParis\nGermany\tcapital\tBerlin\nSpain\tcapital\tMadrid\n' > t.tsv
printf 'France\tborders\tGermany\nGermany\tborders\tFrance\nFrance\tborders\tSpain\n' >> t.tsv
printf 'Spain\tborders\tFrance\nFrance\tlanguage\tFrench\nGermany\tlanguage\tGerman\n' >> t.tsv
printf 'Spain\tlanguage\tSpanish\nBelgium\tlanguage\tFrench\nBelgium\tborders\tFrance\n' >> t.tsv
printf 'France\tborders\tBelgium\nBelgium\tcapital\tBrussels\n' >> t.tsv
"$kgforge" kg import --store kg.db t.tsv --name tty > /dev/null
"$kgforge" synth --kg kg.db --out synth --count 20 --patterns 1p,2p --seed 2 > /dev/null

# tmux new-session with retries: a client can meet its server starting or stopping under load
# ("server exited unexpectedly"); a keep-alive session below keeps the server up between the
# sessions this test kills and starts.
start_session() {
  local i
  for i in 1 2 3 4 5; do
    if tmux -S "$sock" new-session -d "$@" 2> "$work/tmux.err"; then return 0; fi
    tmux -S "$sock" kill-session -t "$2" 2> /dev/null || true  # $2: the -s name
    sleep 0.3
  done
  echo "FAIL: tmux new-session failed 5 times:" >&2
  cat "$work/tmux.err" >&2
  return 1
}
start_session -s "keep$$" "sleep 600"

# Waits (up to 20 s) until the pane shows $1.
wait_for() {
  for _ in $(seq 1 200); do
    if tmux -S "$sock" capture-pane -p -t "$session" | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "FAIL: the screen never showed '$1'; it shows:" >&2
  tmux -S "$sock" capture-pane -p -t "$session" >&2
  return 1
}

start_session -s "$session" -x 200 -y 80 \
  "$kgforge review synth --kg kg.db --sample 5 --seed 1 --reviewer tester; touch exited; sleep 30"
wait_for "[n]ext [p]rev"
wait_for "provenance:"
first=$(tmux -S "$sock" capture-pane -p -t "$session" | grep -o '\[1/5\] [^ ]*' | head -1 | cut -d' ' -f2)
tmux -S "$sock" send-keys -t "$session" a
wait_for "[2/5]"
wait_for "saved"
second=$(tmux -S "$sock" capture-pane -p -t "$session" | grep -o '\[2/5\] [^ ]*' | head -1 | cut -d' ' -f2)
tmux -S "$sock" send-keys -t "$session" r
wait_for "reason (Esc Enter cancels):"
tmux -S "$sock" send-keys -t "$session" "stilted question" Enter
wait_for "[3/5]"
tmux -S "$sock" send-keys -t "$session" p
wait_for "decision: reject (stilted question)"
tmux -S "$sock" send-keys -t "$session" c
wait_for "note (Esc Enter cancels):"
tmux -S "$sock" send-keys -t "$session" "check the grammar" Enter
wait_for "note: check the grammar"
# Esc at the reason prompt cancels the reject (it used to store a raw ESC byte as the reason).
tmux -S "$sock" send-keys -t "$session" r
wait_for "reason (Esc Enter cancels):"
tmux -S "$sock" send-keys -t "$session" Escape Enter
wait_for "reject cancelled; nothing saved"
# On an undecided record: an empty reason is refused, and a note asks for a decision first.
tmux -S "$sock" send-keys -t "$session" n
wait_for "[3/5]"
tmux -S "$sock" send-keys -t "$session" r
wait_for "reason (Esc Enter cancels):"
tmux -S "$sock" send-keys -t "$session" Enter
wait_for "a reject needs a reason; nothing saved"
tmux -S "$sock" send-keys -t "$session" c
wait_for "accept (a) or reject (r) this record before adding a note"
tmux -S "$sock" send-keys -t "$session" q
for _ in $(seq 1 100); do [ -f exited ] && break; sleep 0.1; done
[ -f exited ] || { echo "FAIL: review did not quit on q" >&2; exit 1; }

rows=$(sqlite3 synth/review.sqlite \
  "SELECT record_id || '|' || decision || '|' || reason || '|' || note || '|' || reviewer FROM decisions ORDER BY decision")
expected="$first|accept|||tester
$second|reject|stilted question|check the grammar|tester"
if [ "$rows" != "$expected" ]; then
  echo "FAIL: the store holds:" >&2; echo "$rows" >&2; echo "expected:" >&2; echo "$expected" >&2
  exit 1
fi
# NO_COLOR (no-color.org) or TERM=dumb: no ANSI codes (bold headers were \e[1m before).
for env in NO_COLOR=1 TERM=dumb; do
  tmux -S "$sock" kill-session -t "$session" 2>/dev/null || true
  start_session -s "$session" -x 200 -y 80 \
    "env $env $kgforge review synth --sample 2 --seed 1; sleep 30"
  wait_for "[n]ext [p]rev"
  if tmux -S "$sock" capture-pane -e -p -t "$session" | grep -q $'\e\\[1m'; then
    echo "FAIL: $env: the view still writes ANSI bold codes" >&2
    exit 1
  fi
  tmux -S "$sock" send-keys -t "$session" q
done
tmux -S "$sock" kill-session -t "$session" 2>/dev/null || true
start_session -s "$session" -x 200 -y 80 "$kgforge review synth --sample 2 --seed 1; sleep 30"
wait_for "[n]ext [p]rev"
tmux -S "$sock" capture-pane -e -p -t "$session" | grep -q $'\e\\[1m' || {
  echo "FAIL: without NO_COLOR the view shows no bold (the check above proves nothing)" >&2; exit 1; }

echo "ok: accepted $first, rejected $second with a reason and a note; no ANSI under NO_COLOR / TERM=dumb"
