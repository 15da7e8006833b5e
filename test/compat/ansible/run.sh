#!/usr/bin/env bash
# Runs the hitachivantara.vspone_block collection's simple-API modules against Blockplane and
# prints a module × operation table (ok / failed, with the first error of each failed operation).
#
#   test/compat/ansible/run.sh                      start a fresh server from this checkout (HTTPS)
#   BP_ADDRESS=host:port BP_PASSWORD=… run.sh        use a running server instead
#   run.sh volume server                            only these playbooks (names under playbooks/)
#   TABLE_ONLY=1 run.sh [playbooks…]                 print the table of the last run again
#
# Needs: ansible-playbook (ansible-core; results come from callback_plugins/task_results.py), jq, openssl,
# and the collection installed under $ANSIBLE_COLLECTIONS_PATH (default /work/ansible-collections)
# as ansible_collections/hitachivantara/vspone_block.
# Output: $OUT (default /tmp/bp-ansible-run): one <playbook>.json per playbook, table.md, and
# the collection's own debug log (hv_vspone_block_modules.log: every URL, body and answer).
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
OUT="${OUT:-/tmp/bp-ansible-run}"
BP_USER="${BP_USER:-admin}"
BP_PASSWORD="${BP_PASSWORD:-Compat-Ansible-1}"
ORDER=(fixtures ddp_pool ddp_pool_facts volume volume_facts server server_facts server_hba_facts
  port port_facts snapshot_group snapshot snapshot_facts snapshot_group_facts)
if [ $# -gt 0 ]; then ORDER=(fixtures "$@"); fi

if [ -z "${TABLE_ONLY:-}" ]; then rm -rf "$OUT"; fi
mkdir -p "$OUT/logs"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-/work/ansible-collections}"
export HV_ENABLE_TELEMETRY=false HV_ENABLE_AUDIT_LOG=false
export HV_ANSIBLE_LOG_LEVEL=DEBUG HV_ANSIBLE_LOG_PATH="$OUT/logs"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=true
# Native templating keeps a templated number a number in the bodies the playbooks send (as
# ansible-core 2.19 does by default); a template that is only "{{ a }},{{ b }}" would become a list.
export ANSIBLE_JINJA2_NATIVE=true
export ANSIBLE_CALLBACK_PLUGINS="$HERE/callback_plugins" ANSIBLE_STDOUT_CALLBACK=task_results

SERVER_PID=""
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi; }
trap stop_server EXIT

if [ -n "${TABLE_ONLY:-}" ]; then
  : # TABLE_ONLY=1: only print the table of the last run in $OUT
elif [ -z "${BP_ADDRESS:-}" ]; then
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=127.0.0.1" \
    -keyout "$OUT/key.pem" -out "$OUT/cert.pem" >/dev/null 2>&1
  (cd "$ROOT" && exec node --import tsx src/main.ts --tls-cert "$OUT/cert.pem" --tls-key "$OUT/key.pem" \
    --port "$PORT" --data-dir "$OUT/data" --admin-password "$BP_PASSWORD" \
    ${BP_MODEL:+--array-model "$BP_MODEL"} --log-level warn >"$OUT/server.log" 2>&1) &
  SERVER_PID=$!
  BP_ADDRESS="127.0.0.1:$PORT"
  for _ in $(seq 60); do
    curl -skf "https://$BP_ADDRESS/healthz" >/dev/null 2>&1 && break
    curl -sk -o /dev/null "https://$BP_ADDRESS/" 2>/dev/null && break
    sleep 0.5
  done
fi
echo "server: https://${BP_ADDRESS:-}  output: $OUT"

RUN_ID="${RUN_ID:-$(date +%s | tail -c 6)}"
for pb in "${ORDER[@]}"; do
  [ -n "${TABLE_ONLY:-}" ] && break
  ansible-playbook "$HERE/playbooks/$pb.yml" \
    -e "bp_address=$BP_ADDRESS" -e "bp_user=$BP_USER" -e "bp_password=$BP_PASSWORD" -e "run_id=$RUN_ID" \
    >"$OUT/$pb.json" 2>"$OUT/$pb.stderr"
done

# One row per "<module> | <operation>": the module task and its "| check: …" tasks.
{
  echo "| module | operation | result | first error |"
  echo "| --- | --- | --- | --- |"
  for pb in "${ORDER[@]}"; do
    [ "$pb" = fixtures ] && continue
    if ! jq -e .plays "$OUT/$pb.json" >/dev/null 2>&1; then
      echo "| $pb | (playbook did not run: see $OUT/$pb.stderr) | failed | |"; continue
    fi
    jq -r '
      [.plays[].tasks[] | {name: .task.name, h: (.hosts.localhost // {})}
        | select(.name | test("^hv_")) | (.name | split(" | ")) as $p
        | {module: $p[0], op: $p[1], check: ($p | length > 2), failed: (.h.failed // false),
           skipped: (.h.skipped // false), msg: ((.h.msg // "") | tostring | gsub("[\n|]"; " ") | .[0:220])}]
      | . as $all | [$all[] | .module + "|" + .op] as $seq
      | [$seq | to_entries[] | select(.value as $v | .key as $i | ($seq | index($v)) == $i) | .value] as $ordered
      | $ordered[] as $k | [$all[] | select(.module + "|" + .op == $k)]
      | (map(select(.check | not)) | first) as $m
      | (map(select(.failed)) | first) as $f
      | (map(select(.check and .failed)) | length) as $cf
      | (map(select(.check and (.skipped | not))) | length) as $cr
      | [.[0].module, .[0].op,
         (if $m == null then "failed (no module call)"
          elif $m.failed and $cr > 0 and $cf == 0 then "failed (state right)"
          elif $m.failed then "failed"
          elif $f != null then "failed (state check)"
          else "ok" end),
         (if $f != null then $f.msg else "" end)]
      | "| " + join(" | ") + " |"' "$OUT/$pb.json"
  done
} | tee "$OUT/table.md"
python3 "$HERE/digest.py" "$OUT/logs/hv_vspone_block_modules.log" >"$OUT/requests.txt" 2>/dev/null
ok_count="$(grep -c '| ok |' "$OUT/table.md" || true)"
failed_count="$(grep -c '| failed' "$OUT/table.md" || true)"
echo "ok: $ok_count"
echo "failed: $failed_count"
# The exit status says whether every operation was green.
[ "$failed_count" -eq 0 ]
