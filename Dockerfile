# syntax=docker/dockerfile:1
#
# vmk's container image. Two stages:
#   build    installs every dependency, compiles TypeScript and the knowledge
#            base (npm run build), then drops the dev dependencies;
#   runtime  a slim image with only what `vmk serve` reads, run as the
#            unprivileged `node` user, conversations in SQLite on /data.
#
#   docker build -t vmk .
#   docker run --init -p 3978:3978 -v vmk-data:/data --env-file .env vmk
#
# test/deploy-docker.test.ts parses this file, checks it against the
# configuration schema and runs its install and start commands on a fresh copy
# of the repository. Keep RUN, COPY and CMD in the plain forms it reads.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# Dependencies first, so this layer is reused until package.json or the lock
# changes. better-sqlite3 fetches a prebuilt binary, or compiles with the
# python3, make and g++ this (full) image has. The `prepare` hook sees no
# sources yet and builds nothing.
COPY package.json package-lock.json ./
COPY scripts/prepare.mjs scripts/prepare.mjs
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

# Same Debian release as the build stage, so the native module fits.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3978 \
    VMK_DATA_DIR=/data
WORKDIR /app
# The application is owned by root and read-only for the user it runs as.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/adapters ./dist/adapters
COPY --from=build /app/dist/knowledge.compiled.json ./dist/knowledge.compiled.json
COPY --from=build /app/knowledge ./knowledge
COPY --from=build /app/adapters/web/public ./adapters/web/public
# The SQLite file lives on a volume the app user can write (one instance only;
# several replicas share Redis instead: set REDIS_URL).
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/src/cli.js", "health"]
# The V8 heap limits of `npm start` (see README, Performance). node runs as
# PID 1 and handles SIGTERM itself: in-flight turns finish, then it exits.
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "dist/src/cli.js", "serve"]
