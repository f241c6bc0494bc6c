#!/usr/bin/env bash
# Installs what the lab needs on a Debian 12 machine. Idempotent; run as root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "tools/lab/install.sh must run as root: sudo bash $(realpath "$0")" >&2
  exit 1
fi

packages=(podman runc aardvark-dns redis-server openssh-server busybox-static procps iproute2)
# debootstrap builds the systemd VM image of seed 003 from Debian's packages (tools/lab/start.sh).
packages+=(debootstrap)
# The monitoring stack (tools/lab/src/monitoring.ts starts each binary itself, on loopback ports):
# Prometheus 2.42 (with promtool), Alertmanager 0.25 and redis_exporter 1.45 from Debian.
packages+=(prometheus prometheus-alertmanager prometheus-redis-exporter)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  # Package scripts must not start redis-server, sshd or the Prometheus daemons on their default
  # ports: the tests own port 6379, the lab runs its own sshd on 2222 and its own monitoring.
  blocker_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    blocker_added=1
  fi
  trap '[ "$blocker_added" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Podman here only works with runc and with limits below the machine's hard limits (LAB.md).
# Every API exec otherwise leaves a conmon behind for 5 minutes; tests exec hundreds of times.
mkdir -p /etc/containers
conf=/etc/containers/containers.conf
want='[containers]
default_ulimits = ["nofile=10240:10240", "nproc=4096:4096"]
[engine]
runtime = "runc"
exit_command_delay = 10'
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  printf '%s\n' "$want" >"$conf"
fi

# A Debian redis-server service on 6379 would answer the bot's own test Redis port.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now redis-server.service >/dev/null 2>&1 || true
  systemctl disable --now ssh.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/redis-server ]; then
  /etc/init.d/redis-server stop >/dev/null 2>&1 || true
fi
if [ -f /run/redis/redis-server.pid ]; then
  pid=$(cat /run/redis/redis-server.pid)
  if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = redis-server ]; then kill "$pid" || true; fi
fi

# Users of the SSH scenario (seed 003): the data dir belongs to redis, the service runs as autobot.
getent group redis >/dev/null || groupadd --system redis
getent passwd redis >/dev/null ||
  useradd --system --gid redis --home-dir /var/lib/redis --shell /usr/sbin/nologin redis
getent passwd autobot >/dev/null || useradd --create-home --shell /bin/bash autobot

# sshd refuses to start without its privilege-separation directory.
mkdir -p /run/sshd

echo "lab install: ok ($(podman --version), $(redis-server --version | cut -d' ' -f3))"
