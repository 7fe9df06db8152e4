# The daily arena leaderboard job: battles-export | rank | snapshot-publish,
# composed by scripts/entrypoint.sh (configuration by environment: docs/job.md).
#
#   docker build --build-arg VERSION=v1.0.0 -t arena-snapshots .
#   docker run --rm -e DATABASE_URL=... -e SNAPSHOT_S3_URI=s3://bucket/leaderboards arena-snapshots

# ---- build: the three tools, static binaries --------------------------------
FROM golang:1.26 AS build
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/bixarena/arena-snapshots/internal/clix.version=${VERSION}" \
      -o /out/ ./cmd/battles-export ./cmd/rank ./cmd/snapshot-publish

# ---- runtime: a shell, jq (the job's log lines), curl (the webhook), CAs -----
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl jq \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin arena
COPY --from=build /out/battles-export /out/rank /out/snapshot-publish /usr/local/bin/
COPY scripts/entrypoint.sh /usr/local/bin/entrypoint.sh
USER 10001:10001
ENV LOG_FORMAT=json
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
