#!/usr/bin/env bash
# Stops what tools/lab/start.sh started and removes every lab container and network (names rbb-*).
set -euo pipefail

LAB_DIR=${LAB_DIR:-/run/runbook-bot-lab}
SOCK="$LAB_DIR/podman.sock"

if [ "$(id -u)" -ne 0 ]; then
  echo "tools/lab/stop.sh must run as root: sudo LAB_DIR=$LAB_DIR bash $(realpath "$0")" >&2
  exit 1
fi

if command -v podman >/dev/null; then
  mapfile -t containers < <(podman ps -a --format '{{.Names}}' | grep '^rbb-' || true)
  if [ "${#containers[@]}" -gt 0 ]; then podman rm -f -t 0 "${containers[@]}" >/dev/null; fi
  mapfile -t networks < <(podman network ls --format '{{.Name}}' | grep '^rbb-' || true)
  if [ "${#networks[@]}" -gt 0 ]; then podman network rm -f "${networks[@]}" >/dev/null; fi
fi

# Host-side processes of SSH scenarios run with their files under $LAB_DIR/rbb-*. Redis rewrites its
# own argv, so its working dir (its --dir) is what finds it; SIGKILL also ends a stopped process.
for proc in /proc/[0-9]*; do
  if tr "\\0" " " 2>/dev/null <"$proc/cmdline" | grep -q -- "$LAB_DIR/rbb-" ||
    case "$(readlink "$proc/cwd" 2>/dev/null)" in "$LAB_DIR"/rbb-*) true ;; *) false ;; esac; then
    kill -9 "${proc#/proc/}" 2>/dev/null || true
  fi
done
rm -rf "$LAB_DIR"/rbb-*

stop_pidfile() {
  if [ -f "$1" ]; then
    pid=$(cat "$1")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$1"
  fi
}
stop_pidfile "$LAB_DIR/ssh/sshd.pid"
stop_pidfile "$LAB_DIR/podman.pid"
rm -f "$SOCK"
echo "lab stopped"
