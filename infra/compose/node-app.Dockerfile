# The project's Node apps for docker-compose.yaml (edge-aggregator, store): the whole npm workspace,
# installed from the lockfile and built once, so a container runs the same dependency tree and the
# same workspace scripts as `npm start` and CI. Each service picks its app with its `command:`.
FROM node:22-bookworm-slim

WORKDIR /app

# The workspace's manifests and sources only, never the repository root wholesale: the root holds the
# git-ignored .env.local (local secrets) and caches, which must not end up in an image layer.
# (node-app.Dockerfile.dockerignore drops node_modules and build output from these folders.)
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY scripts/ scripts/
COPY packages/ packages/
COPY apps/ apps/
COPY infra/ infra/

# Dev dependencies are needed to build; `npm ci` fails instead of drifting when the lockfile and
# package.json disagree.
RUN npm ci --no-audit --no-fund
RUN npm run build --workspaces --if-present
