# The clean room runtime, as deployed on Cloud Run (`cleanroom runtime serve`).
#   docker build -t REGION-docker.pkg.dev/PROJECT/cleanroom/runtime:TAG .
# Three stages: `build` compiles the runtime (TypeScript to dist/, with the runtime's dev dependencies); `deps`
# installs the runtime workspace's production dependencies from the lockfile (no infrastructure packages, no dev
# tools, no install scripts: none is needed); `runtime` holds those plus the compiled runtime, run as `node`.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY cleanroom-runtime/package.json cleanroom-runtime/tsconfig.build.json cleanroom-runtime/
COPY cleanroom-runtime/src cleanroom-runtime/src
COPY cleanroom-runtime/scripts/copy-notebooks.js cleanroom-runtime/scripts/
RUN npm ci --workspace cleanroom-runtime --include-workspace-root=false --ignore-scripts --no-audit --no-fund \
 && npm run build --workspace cleanroom-runtime

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY cleanroom-runtime/package.json cleanroom-runtime/
RUN npm ci --omit=dev --ignore-scripts --workspace cleanroom-runtime --include-workspace-root=false --no-audit --no-fund \
 && mkdir -p cleanroom-runtime/node_modules \
 && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=8080
WORKDIR /app
# Owned by root and read-only for the `node` user that runs the server.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/cleanroom-runtime/node_modules ./cleanroom-runtime/node_modules
COPY package.json ./
COPY cleanroom-runtime/package.json ./cleanroom-runtime/
COPY cleanroom-runtime/bin ./cleanroom-runtime/bin
COPY --from=build /app/cleanroom-runtime/dist ./cleanroom-runtime/dist
USER node
EXPOSE 8080
# Config: CLEANROOM_CONFIG_DIR, CLEANROOM_AUDIENCE, CLEANROOM_INVOKERS, DATABRICKS_TOKEN (Secret Manager);
# see cleanroom-runtime/src/serve/serve-config.ts.
CMD ["node", "cleanroom-runtime/bin/cleanroom.js", "runtime", "serve"]
