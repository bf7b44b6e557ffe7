# syntax=docker/dockerfile:1
#
# The inventory API as a small image: Alpine's own Node.js package (shared ICU and OpenSSL, no npm)
# and a bundled application. Build and run: docs/deployment.md; what each stage does: docs/ci-cd.md.
#
# One Alpine release for both stages: the builder checks that the SQLite driver's prebuilt musl binary
# loads under exactly the Node.js and musl the runtime stage installs.
ARG ALPINE_VERSION=3.23

# --- builder: the dependencies, the bundle, the runtime payload in /src/build/app ---------------------
FROM alpine:${ALPINE_VERSION} AS builder
# The driver the image loads needs Node.js 22 or later; fail here, not at the container's start.
RUN apk add --no-cache nodejs npm \
    && node -e 'if (Number(process.versions.node.split(".")[0]) < 22) { throw new Error("Node.js 22+ needed, got " + process.version); }'
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: nothing is compiled here. The driver the image loads (better-sqlite3-napi) ships
# prebuilt Node-API binaries, musl included; the source-built one is only for Node 20 and is not shipped.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY web ./web
# Bundle, then prove the payload runs on its own here: a copy outside /src (so that no node_modules of
# the build can stand in for it) opens a database through the native binary and applies the
# migrations, under this release's Node.js and musl.
RUN npm run build:bundle \
    && cp -R build/app /tmp/payload-check \
    && DATABASE_URL=sqlite::memory: node /tmp/payload-check/cli.mjs migrate \
    && rm -rf /tmp/payload-check

# --- runtime: Node.js, tini and the payload; no npm, no sources, no dev dependencies ------------------
FROM alpine:${ALPINE_VERSION} AS runtime
RUN apk add --no-cache nodejs tini \
    && addgroup -S -g 10001 inventory \
    && adduser -S -D -H -h /app -s /sbin/nologin -u 10001 -G inventory inventory \
    && mkdir /data \
    && chown 10001:10001 /data
WORKDIR /app
# Owned by root and read-only for the app user: the process can write to /data only.
COPY --from=builder /src/build/app/ /app/
# V8 sizes its heap from the container's memory limit, about 259 MiB under 256 MiB: a heap that grew that
# far would be killed by the kernel before V8 collected harder. 128 MiB of old space and 8 MiB semi-spaces
# (a 152 MiB heap limit) leave the rest to the process's own (code, SQLite, buffers); without the second
# flag V8 gives the young generation 1 MiB semi-spaces under such a limit, and a list page runs ten times
# the garbage collections. Measured under a 256 MiB limit in docs/benchmarks.md.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=5000 \
    DATABASE_URL=sqlite:/data/inventory.db \
    NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8"
VOLUME ["/data"]
EXPOSE 5000
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD wget -q -O /dev/null "http://127.0.0.1:${PORT}/api/v1/health" || exit 1
# tini is PID 1: it forwards SIGTERM to node (which then drains in-flight requests) and reaps zombies.
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["node", "main.mjs"]
