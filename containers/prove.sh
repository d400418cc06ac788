#!/usr/bin/env bash
# The containers proof, on a machine that cannot pull images (root, Docker engine running):
#
#   1. a Debian-based Python base image from Debian's packages (containers/debian-base.sh:
#      debootstrap, then docker import), tagged fintwin-base:bookworm;
#   2. wheels of fintwin's dependencies built on the host (pip wheel), then fintwin's image
#      built offline from them with BASE_IMAGE pointing at that base, and PostgreSQL 15
#      from Debian's packages FROM the same base (containers/postgres.Dockerfile);
#   3. docker-compose.yml's estate up, on free ports of 127.0.0.1, until every container is
#      healthy;
#   4. the quote-to-cash suite and a short demo (under default-chaos) against it, in the
#      external mode (containers/compose-sut.toml);
#   5. the same suite in the containers mode (testcontainers starts and removes its own
#      containers), and the containers mode's own tests (FINTWIN_REQUIRE_DOCKER=1);
#   6. teardown (containers, network, volumes), then the time of each step.
#
#   containers/prove.sh            # from the repository root or anywhere; needs make, python3
#
# Images are kept (a second run reuses the base image); FINTWIN_PROOF_REMOVE_IMAGES=1
# removes them too. FINTWIN_PROOF_DEALS (10) sets the demo's size.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

base_tag=${FINTWIN_BASE_TAG:-fintwin-base:bookworm}
image=fintwin:latest
pg_image=fintwin-postgres:15
deals=${FINTWIN_PROOF_DEALS:-10}
seed=1
out=.fintwin/proof
project=fintwin-proof-$$

if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null; then
    compose=(docker-compose)
else
    echo "prove.sh: neither 'docker compose' nor 'docker-compose' is installed" >&2
    exit 2
fi
docker info >/dev/null 2>&1 || { echo "prove.sh: no Docker engine answers" >&2; exit 2; }

declare -a step_names=() step_times=()
now() { date +%s.%N; }
step_start=0
begin() { step_start=$(now); echo; echo "== $1"; }
end() {
    step_names+=("$1")
    step_times+=("$(python3 -c "print(f'{$(now) - $step_start:.1f}')")")
}

mkdir -p "$out"
quietly() {  # run "$@" with its output in $out/$1.log, shown only when it fails
    local log=$out/$1.log
    shift
    "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "prove.sh: failed: $*" >&2; exit 1; }
}
quietly venv make -s venv
py=$root/.venv/bin/python

# -- 1. base image, and the wheels on the host meanwhile ----------------------------------
begin "base image ($base_tag: debootstrap + docker import; host wheels alongside)"
rm -rf build/wheelhouse
quietly wheels "$py" -m pip wheel --wheel-dir build/wheelhouse '.[postgres]' setuptools wheel &
wheels=$!
containers/debian-base.sh "$base_tag"
wait "$wheels"
rm -f build/wheelhouse/fintwin-*.whl   # the image's build stage builds fintwin's own
echo "$(ls build/wheelhouse | wc -l) wheels in build/wheelhouse"
end "base image"

# -- 2. images (both at once: one is mostly apt's downloads, the other pip's installs) -----
begin "images ($image, $pg_image)"
quietly postgres-image docker build -t "$pg_image" --build-arg BASE_IMAGE="$base_tag" \
    -f containers/postgres.Dockerfile containers &
postgres=$!
quietly fintwin-image docker build -t "$image" --build-arg BASE_IMAGE="$base_tag" \
    --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/src/build/wheelhouse .
wait "$postgres"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$image"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$pg_image"
end "image build"

# -- 3. the compose estate ---------------------------------------------------------------
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
secret() { "$py" -c 'import secrets; print(secrets.token_hex(16))'; }
export FINTWIN_SUT_PORT FINTWIN_CRM_PORT FINTWIN_BILLING_PORT FINTWIN_ERP_PORT
FINTWIN_SUT_PORT=$(free_port) FINTWIN_CRM_PORT=$(free_port)
FINTWIN_BILLING_PORT=$(free_port) FINTWIN_ERP_PORT=$(free_port)
export FINTWIN_ADMIN_TOKEN FINTWIN_PG_PASSWORD
FINTWIN_ADMIN_TOKEN=$(secret) FINTWIN_PG_PASSWORD=$(secret)
export FINTWIN_IMAGE=$image FINTWIN_POSTGRES_IMAGE=$pg_image FINTWIN_SEED=$seed
export FINTWIN_CHAOS=none
dc() { "${compose[@]}" -p "$project" -f docker-compose.yml "$@"; }
teardown() { dc down -v --remove-orphans >/dev/null 2>&1 || true; }
trap teardown EXIT
trap 'teardown; exit 143' INT TERM

begin "compose up ($project) until every container is healthy"
dc up -d --no-build 2>&1 | grep -v -e '^Creating' -e '^ *$' || true
deadline=$(( $(date +%s) + 180 ))
while :; do
    ids=$(dc ps -q)
    states=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' $ids)
    if [ "$(echo "$ids" | wc -w)" -eq 5 ] && ! echo "$states" | grep -qv ' running healthy$'; then
        break
    fi
    if echo "$states" | grep -q -e ' exited' -e ' dead' || [ "$(date +%s)" -ge "$deadline" ]; then
        echo "$states" >&2
        dc logs --tail 40 >&2 || true
        echo "prove.sh: the compose estate did not become healthy" >&2
        exit 1
    fi
    sleep 0.5
done
echo "$states"
end "compose up to healthy"

# The harness reaches the estate at the published ports, trusting the CRM's CA, which
# the fakes-tls volume holds.
mkdir -p "$out/compose"
docker cp "$(dc ps -q crm)":/var/lib/fintwin/.fintwin/tls/ca.pem "$out/compose/ca.pem"
harness_env=(
    FINTWIN_CRM_URL="https://127.0.0.1:$FINTWIN_CRM_PORT"
    FINTWIN_BILLING_URL="http://127.0.0.1:$FINTWIN_BILLING_PORT"
    FINTWIN_ERP_URL="http://127.0.0.1:$FINTWIN_ERP_PORT"
    FINTWIN_SUT_URL="http://127.0.0.1:$FINTWIN_SUT_PORT"
    FINTWIN_CA_BUNDLE="$root/$out/compose/ca.pem"
)

# -- 4. the suite and the demo against it --------------------------------------------------
begin "quote-to-cash suite against the compose estate (external mode)"
env "${harness_env[@]}" "$py" -m pytest -q -p no:cacheprovider scenarios/test_quote_to_cash.py \
    --fintwin-stack external --fintwin-sut containers/compose-sut.toml --fintwin-seed "$seed" \
    --fintwin-report "$out/suite"
end "suite (external, compose)"

begin "demo: $deals deals under default-chaos against the compose estate"
env "${harness_env[@]}" "$root/.venv/bin/fintwin" demo --stack external \
    --manifest containers/compose-sut.toml --deals "$deals" --seed "$seed" \
    --chaos default-chaos --no-progress --out "$out/demo"
end "demo (external, compose)"

# -- 5. the containers mode -------------------------------------------------------------------
begin "quote-to-cash suite in the containers mode (testcontainers)"
env -u FINTWIN_ADMIN_TOKEN TESTCONTAINERS_RYUK_DISABLED=true \
    "$py" -m pytest -q -p no:cacheprovider scenarios/test_quote_to_cash.py \
    --fintwin-stack containers --fintwin-seed "$seed"
end "suite (containers mode)"

begin "the containers mode's own tests (tests/harness/stack/test_containers.py)"
env -u FINTWIN_ADMIN_TOKEN FINTWIN_REQUIRE_DOCKER=1 \
    "$py" -m pytest -q -p no:cacheprovider tests/harness/stack/test_containers.py
end "containers-mode tests"

# -- 6. teardown ----------------------------------------------------------------------------
begin "teardown"
trap - EXIT INT TERM
dc down -v --remove-orphans 2>&1 | grep -v -e '^Stopping' -e '^Removing' -e '^ *$' || true
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
[ -z "$left" ] || { echo "prove.sh: containers left behind: $left" >&2; exit 1; }
if [ -n "${FINTWIN_PROOF_REMOVE_IMAGES:-}" ]; then
    docker rmi "$image" "$pg_image" "$base_tag" >/dev/null
fi
end "teardown"

echo
echo "containers proof passed ($("${compose[@]}" version --short 2>/dev/null || true), docker $(docker version -f '{{.Server.Version}}'))"
for i in "${!step_names[@]}"; do
    printf '  %-28s %7s s\n' "${step_names[$i]}" "${step_times[$i]}"
done
