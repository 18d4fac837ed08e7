# Reelcast worker image. One image, three roles (--queues gpu|media|publish), see docker-compose.yml.
#   CPU:  docker build -t reelcast .
#   GPU:  docker build -t reelcast-gpu --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 \
#           --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 .
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
ARG BASE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS node

FROM ${NODE_IMAGE} AS build
ARG ONNXRUNTIME_NODE_INSTALL=skip
ENV ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL}
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund \
  # GPU images: fetch onnxruntime's CUDA 12 provider (npm may hold install scripts back, so run it directly).
  && if [ "$ONNXRUNTIME_NODE_INSTALL" != skip ]; then node node_modules/onnxruntime-node/script/install.js; fi
COPY . .
RUN npm run build && npm prune --omit=dev

FROM ${BASE_IMAGE}
# ffmpeg for masters and renditions; a CJK font for burned-in captions; python3 for the C2PA signer.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg fonts-noto-cjk ca-certificates python3 python3-venv \
  && rm -rf /var/lib/apt/lists/*
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /app /app
# Content Credentials: c2pa-python (PyPI) in its pinned venv, made at build time (activities/provenance).
ENV REELCAST_TOOL_CACHE=/opt/reelcast/tools
RUN models/python-env.sh activities/provenance/requirements.txt >/dev/null
ENV NODE_ENV=production REELCAST_DATA_DIR=/data
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/reelcast.js"]
CMD ["worker"]
