# Production image: Debian (ffmpeg, and python3 for yt-dlp), Node 20, non-root. yt-dlp is not
# Debian's (a 2023 build that many sites have outgrown) but the newest release, verified against
# its SHA2-256SUMS by our updater; Deno is the JavaScript runtime current yt-dlp needs for YouTube.
FROM node:20-bookworm-slim AS base
# The deno npm package ships the Deno binary for this platform.
ARG DENO_VERSION=2.9.6
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ffmpeg ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g --no-audit --no-fund "deno@${DENO_VERSION}" \
 && deno --version
WORKDIR /app

FROM base AS build
COPY package.json package-lock.json .npmrc ./
# Our patches to dependencies (patches/, docs/decisions/019-throughput.md), applied by postinstall.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM base AS runtime
# TVN_DATA_DIR/bin/yt-dlp is the yt-dlp the app runs (YTDLP_PATH unset). glibc keeps freed stream
# buffers instead of faulting them in again (scripts/lib/malloc.ts).
ENV NODE_ENV=production PORT=3000 TVN_DATA_DIR=/app/.data GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=4194304
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/build ./build
COPY --from=build --chown=node:node /app/public ./public
COPY --chown=node:node drizzle ./drizzle
COPY --chown=node:node package.json ./
RUN mkdir -p /app/.data/bin && chown -R node:node /app/.data
USER node
# The newest release at build time; refused (and the build fails) on a checksum mismatch.
# YTDLP_AUTO_UPDATE=daily keeps it current afterwards.
ARG YTDLP_RELEASE_URL=https://github.com/yt-dlp/yt-dlp/releases/latest/download
RUN YTDLP_RELEASE_URL="${YTDLP_RELEASE_URL}" node build/ytdlp-update.js && /app/.data/bin/yt-dlp --version
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
# Compiled JavaScript only: the web process is build/index.js, the worker build/worker.js.
CMD ["node", "build/index.js"]
