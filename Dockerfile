# fintwin: one image for every component, chosen by command.
#
#   docker build -t fintwin .
#   docker run fintwin sim crm --host 0.0.0.0 --tls --tls-hostname crm   # Salesforce-shaped
#   docker run fintwin sim billing --host 0.0.0.0                        # Stripe-shaped
#   docker run fintwin sim erp --host 0.0.0.0                            # NetSuite-shaped
#   docker run fintwin serve integration-layer --host 0.0.0.0            # the reference SUT
#
# BASE_IMAGE is any Debian-like image with python3 (3.11 or later) and its venv module.
# Offline (no package index reachable from the build): put every wheel in
# build/wheelhouse (`pip wheel --wheel-dir build/wheelhouse '.[postgres]' setuptools wheel`)
# and pass
#   --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/src/build/wheelhouse
# (containers/prove.sh does, with a base image made by containers/debian-base.sh).
ARG BASE_IMAGE=python:3.11-slim

# -- build: the fintwin wheel and its dependencies, installed in a venv ---------------
FROM ${BASE_IMAGE} AS build
# pip reads its options from PIP_* variables; these are only set when passed.
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
ARG PIP_INDEX_URL
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . /src
RUN python3 -m venv /opt/fintwin \
 && /opt/fintwin/bin/pip wheel --wheel-dir /wheels ".[postgres]" \
 && /opt/fintwin/bin/pip install --no-index --find-links /wheels "fintwin[postgres]" \
 && /opt/fintwin/bin/fintwin --help >/dev/null

# -- runtime: the venv alone, run as an unprivileged user ------------------------------
FROM ${BASE_IMAGE} AS runtime
# /var/lib/fintwin is the working directory: the fakes keep their local TLS CA in
# ./.fintwin/tls (a volume in docker-compose.yml shares it), the reference SUT its
# default SQLite database. The directory exists in the image, owned by the user, so that
# a named volume mounted there starts out writable.
RUN groupadd --system --gid 10001 fintwin \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/fintwin --create-home \
        --shell /usr/sbin/nologin fintwin \
 && install -d -o fintwin -g fintwin -m 0755 /var/lib/fintwin/.fintwin
COPY --from=build /opt/fintwin /opt/fintwin
ENV PATH=/opt/fintwin/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /var/lib/fintwin
# crm 8001, billing 8002, erp 8003, the integration layer 8000 (each binds 127.0.0.1
# unless given --host; in a container that is --host 0.0.0.0 behind published ports).
EXPOSE 8000 8001 8002 8003
# The check reads this container's command to find the component's health URL
# (harness/healthcheck.py): /_sim/health of a fake, /health of the integration layer.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-m", "harness.healthcheck"]
ENTRYPOINT ["fintwin"]
CMD ["--help"]
