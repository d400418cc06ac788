#!/usr/bin/env bash
# CI's containers step: the proof of containers/prove.sh, within a time budget for the
# whole step (FINTWIN_CONTAINERS_BUDGET seconds, default 600), installing what it needs
# (Debian's docker.io, docker-compose and debootstrap) and starting dockerd when none runs.
#
# When the engine cannot be had (not root, no apt, dockerd will not start), the step is
# skipped and says so loudly; CI stays green. Once the engine runs, the proof must pass
# within what is left of the budget: a failure or a timeout fails the step.
set -uo pipefail
cd "$(dirname "$0")/.."

budget=${FINTWIN_CONTAINERS_BUDGET:-600}
started=$(date +%s)
left() { echo $(( budget - ($(date +%s) - started) )); }
log_dir=$(mktemp -d /tmp/fintwin-ci-containers.XXXXXX)
dockerd_pid=

skip() {
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!! SKIPPED: the containers step (image, docker-compose estate, containers mode)"
    echo "!! reason: $1"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo
    exit 0
}
stop_dockerd() {
    if [ -n "$dockerd_pid" ]; then
        kill "$dockerd_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$log_dir"
}
trap stop_dockerd EXIT

echo "== containers step (budget ${budget}s)"
if ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || skip "no Docker engine answers, and starting one needs root"
    missing=()
    command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
    command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
    docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null \
        || missing+=(docker-compose)
    if [ ${#missing[@]} -gt 0 ]; then
        command -v apt-get >/dev/null || skip "no apt-get to install ${missing[*]}"
        echo "installing ${missing[*]}"
        if ! timeout $(( $(left) / 2 )) env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q "${missing[@]}" >"$log_dir/apt.log" 2>&1; then
            tail -n 20 "$log_dir/apt.log"
            skip "apt-get install ${missing[*]} failed"
        fi
    fi
    dockerd=$(command -v dockerd || echo /usr/sbin/dockerd)
    "$dockerd" >"$log_dir/dockerd.log" 2>&1 &
    dockerd_pid=$!
    deadline=$(( $(date +%s) + 60 ))
    until docker info >/dev/null 2>&1; do
        if ! kill -0 "$dockerd_pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
            tail -n 20 "$log_dir/dockerd.log"
            skip "dockerd exited, or did not answer within 60 s (its log is above)"
        fi
        sleep 0.2
    done
    echo "dockerd started ($(docker version -f '{{.Server.Version}}')) after $(( $(date +%s) - started ))s"
fi
docker image inspect "${FINTWIN_BASE_TAG:-fintwin-base:bookworm}" >/dev/null 2>&1 \
    || [ "$(id -u)" = 0 ] || skip "the base image needs debootstrap, which needs root"

remaining=$(left)
[ "$remaining" -gt 60 ] || { echo "containers step: no time left for the proof" >&2; exit 1; }
echo "running containers/prove.sh with ${remaining}s left of the budget"
timeout --kill-after=20 "$remaining" containers/prove.sh
status=$?
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "containers step: FAILED, over its ${budget}s budget" >&2
fi
echo "== containers step: $( [ "$status" = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - started ))s"
exit "$status"
