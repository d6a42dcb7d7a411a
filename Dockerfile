# The offline-first image: the operator (`offline-first run`, the default) and, in a later release,
# the link agent (`offline-first agent`). Build from the repository root:
#   docker build -t offline-first:0.1.0 .
ARG NODE_IMAGE=node:24-bookworm-slim

# Build: all dependencies, compile TypeScript to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Run: production dependencies only. The image's own Node 24 runs the code; the `node` package
# that brings Node 24 to older machines is a devDependency and is not installed here.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# The V8 heap sized from the container's memory limit, a small young generation (docs/benchmarks.md);
# the chart sets the same through its nodeOptions value.
ENV NODE_OPTIONS="--max-old-space-size-percentage=40 --max-semi-space-size=2"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY crds ./crds
COPY --from=build /src/dist/src ./dist/src
# A numeric non-root user (the chart's securityContext runs as 65532 with a read-only root).
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["run"]
