# sparkhooks hook server image.
#
#   docker build -t ghcr.io/sparkhooks/sparkhooks:0.1.0 .
#
# Base: the newest Node.js LTS line. Node 26 became Active LTS on 2026-10-28
# (Node 24 is in maintenance since 2026-10-20). The official Node 26 images are
# built on Debian 13 "trixie"; the -slim variant has no compilers but does
# have a shell and coreutils. Pin a digest (node:26-trixie-slim@sha256:...)
# in release builds.
ARG NODE_IMAGE=node:26-trixie-slim

# --- build: compile TypeScript to dist/ --------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own "prepare" script would run the build
# now, before the sources are copied. No dependency needs an install script
# to compile the server.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY hooks ./hooks
# tsc -p tsconfig.build.json: hooks/**/*.ts -> dist/hooks/**/*.js
RUN npm run build

# --- runtime: production dependencies and compiled JavaScript only -----------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
# package.json is needed at run time too: its "type": "module" makes Node load
# dist/**/*.js as ES modules.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY crds ./crds
# Everything above is owned by root and read-only for the server. Numeric
# uid:gid of the image's "node" user, so that Kubernetes can check
# runAsNonRoot without an explicit runAsUser.
USER 1000:1000
EXPOSE 8080
# The server drains in-flight hook calls on SIGTERM (SHUTDOWN_TIMEOUT_MS).
# Node runs as PID 1 directly, with no shell in between to swallow signals.
STOPSIGNAL SIGTERM
CMD ["node", "dist/hooks/server/main.js"]
