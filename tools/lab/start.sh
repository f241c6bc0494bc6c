#!/usr/bin/env bash
# Starts the lab: Podman's Docker API socket, the local images (Redis, and a bare busybox one for an
# app without redis-cli), and an sshd on 127.0.0.1:2222.
# Idempotent: whatever is already running and answering is left alone.
set -euo pipefail

LAB_DIR=${LAB_DIR:-/run/runbook-bot-lab}
IMAGE=localhost/runbook-bot-lab/redis:latest
BARE_IMAGE=localhost/runbook-bot-lab/bare:latest
SSH_PORT=${LAB_SSH_PORT:-2222}
SOCK="$LAB_DIR/podman.sock"

if [ "$(id -u)" -ne 0 ]; then
  echo "tools/lab/start.sh must run as root: sudo LAB_DIR=$LAB_DIR bash $(realpath "$0")" >&2
  exit 1
fi
for cmd in podman redis-server redis-cli busybox sshd ssh-keygen runuser; do
  command -v "$cmd" >/dev/null || { echo "missing $cmd: run tools/lab/install.sh first" >&2; exit 1; }
done

mkdir -p "$LAB_DIR"
chmod 755 "$LAB_DIR"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- Podman's Docker-compatible API --------------------------------------------------------------
api_answers() { podman --url "unix://$SOCK" version >/dev/null 2>&1; }
if ! alive "$LAB_DIR/podman.pid" || ! api_answers; then
  if alive "$LAB_DIR/podman.pid"; then kill "$(cat "$LAB_DIR/podman.pid")" || true; fi
  rm -f "$SOCK"
  # --time=0: without it the service exits after a few idle seconds.
  nohup setsid podman system service --time=0 "unix://$SOCK" >"$LAB_DIR/podman.log" 2>&1 </dev/null &
  echo $! >"$LAB_DIR/podman.pid"
  for _ in $(seq 1 100); do api_answers && break; sleep 0.1; done
  api_answers || { echo "podman service did not answer; see $LAB_DIR/podman.log" >&2; exit 1; }
fi

# --- Images, built from the host's own binaries (no registry is reachable) ----------------------
# A root folder with busybox (sh, ls, stat, id, nc, timeout...) and users like the official image's.
busybox_root() {
  local root=$1
  mkdir -p "$root"/{bin,usr/bin,etc,data,tmp}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999::/data:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nredis:x:999:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  chown 999:999 "$root/data"
}

# build_image NAME FILL USER CMD: FILL adds files to the busybox root before it is imported.
build_image() {
  local name=$1 fill=$2 user=$3 cmd=$4
  local old=''
  if podman image exists "$name"; then
    [ "${LAB_REBUILD:-0}" = 1 ] || return 0
    old=$(podman image inspect -f '{{.Id}}' "$name")
  fi
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  busybox_root "$root"
  "$fill" "$root"
  tar -C "$root" -c . | podman import -q \
    -c "USER $user" -c 'WORKDIR /data' -c 'ENV PATH=/usr/bin:/bin' -c "CMD $cmd" - "$name" >/dev/null
  rm -rf "$root"
  trap - EXIT
  # The replaced image would stay behind untagged; containers still using it keep it alive.
  if [ -n "$old" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
}

redis_files() {
  local root=$1 lib
  # redis-server is a symlink to redis-check-rdb on Debian; the binary picks its role by argv[0].
  cp -L /usr/bin/redis-server "$root/usr/bin/redis-server"
  cp -L /usr/bin/redis-cli "$root/usr/bin/redis-cli"
  for lib in $(ldd /usr/bin/redis-server /usr/bin/redis-cli | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
# An app container without redis-cli (the client-no-cli scenario): busybox only.
no_files() { :; }

build_image "$IMAGE" redis_files redis '["/usr/bin/redis-server","--protected-mode","no"]'
build_image "$BARE_IMAGE" no_files root '["sleep","2147483"]'

# A Debian VM for seed 003: real systemd as PID 1 (podman run --systemd=always), sshd, and Debian's
# packaged redis-server.service (User=redis), from Debian's own packages (about a minute).
SYSTEMD_IMAGE=localhost/runbook-bot-lab/systemd-vm:latest
build_systemd_image() {
  if podman image exists "$SYSTEMD_IMAGE" && [ "${LAB_REBUILD:-0}" != 1 ]; then return 0; fi
  command -v debootstrap >/dev/null || { echo "missing debootstrap: run tools/lab/install.sh first" >&2; exit 1; }
  local vm
  vm=$(mktemp -d)
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,openssh-server,redis-server,sudo,procps \
    bookworm "$vm" "${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$LAB_DIR/debootstrap.log" 2>&1 ||
    # The other scenarios do not need it: say so and go on; seed 003's then fail naming the image.
    { echo "debootstrap failed, no $SYSTEMD_IMAGE (seed 003's scenarios need it); see $LAB_DIR/debootstrap.log" >&2; rm -rf "$vm"; return 0; }
  # As on the seed's VM: Redis logs to the journal and its config is readable by any service user.
  sed -i 's|^logfile .*|logfile ""|' "$vm/etc/redis/redis.conf"
  chmod 755 "$vm/etc/redis"
  chmod 644 "$vm/etc/redis/redis.conf"
  # autobot: the seed's wrong service user; ops may sudo without a password, guest may not.
  chroot "$vm" useradd --uid 1000 --create-home --shell /bin/bash autobot
  chroot "$vm" useradd --create-home --shell /bin/bash ops
  chroot "$vm" useradd --create-home --shell /bin/bash guest
  printf 'ops ALL=(ALL) NOPASSWD: ALL\n' >"$vm/etc/sudoers.d/ops"
  chmod 440 "$vm/etc/sudoers.d/ops"
  printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\n' >"$vm/etc/ssh/sshd_config.d/lab.conf"
  : >"$vm/etc/machine-id"
  rm -f "$vm/var/lib/redis/dump.rdb"
  tar -C "$vm" -c . | podman import -q -c 'CMD ["/sbin/init"]' - "$SYSTEMD_IMAGE" >/dev/null
  rm -rf "$vm"
}
build_systemd_image

# --- sshd on loopback with its own host key, client key and config ------------------------------
SSH_DIR="$LAB_DIR/ssh"
mkdir -p "$SSH_DIR" /run/sshd
chmod 700 "$SSH_DIR"
[ -f "$SSH_DIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C runbook-bot-lab-host -f "$SSH_DIR/ssh_host_ed25519_key"
[ -f "$SSH_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C runbook-bot-lab-client -f "$SSH_DIR/id_ed25519"
cp "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys"
chmod 600 "$SSH_DIR/authorized_keys"
ssh-keygen -lf "$SSH_DIR/ssh_host_ed25519_key.pub" | awk '{print $2}' >"$SSH_DIR/host_key_fingerprint"
cat >"$SSH_DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $SSH_DIR/ssh_host_ed25519_key
PidFile $SSH_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowTcpForwarding no
Subsystem sftp internal-sftp
CONF
if ! alive "$SSH_DIR/sshd.pid"; then
  /usr/sbin/sshd -t -f "$SSH_DIR/sshd_config"
  /usr/sbin/sshd -f "$SSH_DIR/sshd_config" -E "$SSH_DIR/sshd.log"
  for _ in $(seq 1 50); do alive "$SSH_DIR/sshd.pid" && break; sleep 0.1; done
  alive "$SSH_DIR/sshd.pid" || { echo "sshd did not start; see $SSH_DIR/sshd.log" >&2; exit 1; }
fi

echo "DOCKER_HOST=unix://$SOCK"
