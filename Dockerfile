# syntax=docker/dockerfile:1
#
# vmapd in a container. Stages:
#   build     - all dependencies (better-sqlite3 ships prebuilt binaries: no toolchain), tsc
#   prod-deps - the build's node_modules pruned to production dependencies
#   loadtest  - the build stage as a non-root image for the compose `load` profile
#   runtime   - (default, last) production dependencies and dist/src only
#
#   docker build -t vmapd .
#   docker run --rm -p 127.0.0.1:8080:8080 -p 127.0.0.1:50051:50051 -v vmapd-data:/var/lib/vmapd vmapd

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# tini for the loadtest stage's PID 1. No compiler: better-sqlite3 13 carries
# its prebuilt Node-API binaries inside the npm package.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first: this layer is reused until the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY proto ./proto
COPY src ./src
COPY web ./web
COPY loadtest ./loadtest
RUN npm run build

FROM build AS prod-deps
# Pruned in place: the better-sqlite3 binary npm ci installed is kept.
RUN npm prune --omit=dev --no-audit --no-fund

FROM build AS loadtest
# The load scripts need the dev dependencies (autocannon, hdr-histogram-js),
# so this image is the build stage itself, run as the unprivileged node user.
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/loadtest/writers.js", "--help"]

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to vmapd (which then answers accepted writes
# and exits) and reaps zombies; node as PID 1 would ignore default signals.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    VMAPD_HOST=0.0.0.0 \
    VMAPD_GRPC_PORT=50051 \
    VMAPD_HTTP_PORT=8080 \
    VMAPD_DATA_DIR=/var/lib/vmapd
WORKDIR /app
# package.json marks dist/*.js as ES modules; proto/ is loaded at run time.
COPY package.json ./
COPY proto ./proto
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/web ./dist/web
RUN mkdir -p /var/lib/vmapd && chown node:node /var/lib/vmapd
VOLUME ["/var/lib/vmapd"]
USER node
EXPOSE 50051 8080
# slim has no curl: node's own fetch asks /healthz on the configured port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.VMAPD_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/cli/vmapd.js"]
