# syntax=docker/dockerfile:1
# incident-bot: build with dev dependencies, run with production dependencies only, as a non-root user.
#   docker build -t incident-bot .
#   docker run --rm -p 127.0.0.1:3000:3000 -e HOST=0.0.0.0 incident-bot   # local mode: built-in Slack workspace at
#     http://localhost:3000/ (local mode listens on loopback unless HOST is set; publish the port on loopback only)
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: TypeScript -> dist/ (the prepare script runs tsc; typescript is a devDependency) ---
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build \
 # Assemble exactly what the runtime reads, at the same relative paths (migrations are read from src/store/migrations,
 # the embedded store's worker thread runs src/store/pglite-worker.mjs).
 && mkdir -p /out/src/store \
 && cp -r bin dist /out/ \
 && cp -r src/store/migrations /out/src/store/ \
 && cp src/store/pglite-worker.mjs /out/src/store/ \
 && mkdir -p /out/runbooks /out/templates \
 && for p in runbooks templates src/emulator/workspace.default.yml src/emulator/ui; do \
      if [ -e "$p" ]; then cp -r --parents "$p" /out/; fi; \
    done

# --- deps: production dependencies only, no lifecycle scripts (prepare would need tsc) ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    RUNBOOKS_DIR=/runbooks \
    INCIDENT_BOT_DATA=/data
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --from=build --chown=root:root /out/ ./
# The shipped runbooks are the default content of /runbooks; in Kubernetes a ConfigMap is mounted over it.
# /data holds the embedded database when DATABASE_URL is unset (single replica, local use only).
RUN mkdir -p /runbooks /data \
 && cp -r runbooks/. /runbooks/ \
 && chown 1000:1000 /data
# The node image's "node" user, numeric so Kubernetes runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/incident-bot.js"]
CMD ["serve"]
