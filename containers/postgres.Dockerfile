# PostgreSQL 15 from Debian's packages, for machines that cannot pull the official
# postgres image: docker-compose.yml runs `postgres:15` unless FINTWIN_POSTGRES_IMAGE names
# this one (containers/prove.sh builds it FROM the local base of containers/debian-base.sh).
# It keeps the official image's contract: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB,
# PGDATA; the command is `postgres` and its options (e.g. -c listen_addresses=127.0.0.1).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# No cluster at install: the entrypoint makes one in PGDATA at first start.
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 2775 /var/run/postgresql \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data
# Built with containers/ as the context: docker build -f containers/postgres.Dockerfile containers
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s \
    CMD pg_isready -h 127.0.0.1 -p "${PGPORT:-5432}" -U "${POSTGRES_USER:-postgres}" -q
ENTRYPOINT ["postgres-entrypoint"]
CMD ["postgres"]
