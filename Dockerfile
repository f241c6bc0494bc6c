# syntax=docker/dockerfile:1
# runbook-bot image: one image for both roles (`serve --role bot`, `serve --role worker`).
# Not built on the development machine (it has no Docker engine); test/unit/deployment.test.ts
# checks this file's shape.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full dependencies, compile TypeScript to dist/ ------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The tools beside the product (tools/: lab, local Slack, demo) are workspaces; the image holds none
# of them, so only the root package is installed.
RUN npm ci --workspaces=false --include-workspace-root --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- deps: production dependencies only -------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --workspaces=false --include-workspace-root --no-audit --no-fund \
    && npm cache clean --force

# ---- runtime: dist/ + production node_modules, non-root ---------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    TARGETS_FILE=/etc/runbook-bot/targets.yaml \
    REPORTS_DIR=/var/lib/runbook-bot/reports
WORKDIR /app
# The reports dir exists in the image owned by `node`, so a named volume mounted there starts
# writable by the non-root user.
RUN mkdir -p /var/lib/runbook-bot/reports /etc/runbook-bot \
    && chown -R node:node /var/lib/runbook-bot
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# The official Node image's unprivileged user (uid 1000). The code and node_modules stay owned
# by root, so the process cannot modify itself.
USER node
EXPOSE 3000
# /healthz answers in the bot and all roles (HTTP and Socket Mode). docker-compose.yml disables
# this check for the worker, which serves no HTTP.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
