# azsql-mcp container image: Debian 12, the server built from source in a builder stage, a slim
# runtime stage with only the shared libraries the binary links, non-root, health check on /health.
#   docker build -t azsql-mcp .                 (podman/buildah build and `az acr build .` find this file too)
#   docker run --rm -p 8000:8000 azsql-mcp      (demo SQLite database; MCP endpoint http://localhost:8000/mcp)
# The server listens on 0.0.0.0:8000 inside the container. Behind a proxy or ingress set
# MCP_ALLOWED_HOSTS to the public host name (DNS-rebinding protection: other DNS names are refused)
# and MCP_AUTH_TOKEN (or put an authenticating gateway in front). See docs/DEPLOYMENT.md.
# BASE_IMAGE lets a machine without registry access build on a locally imported Debian 12 image
# (scripts/release/image.sh); everywhere else the default is the official one.
# BINARY_FROM picks where the binary comes from: "build" (default) compiles it from the checkout;
# "prebuilt" takes it from the `make dist` archive in dist/ (how `make image` builds on our shared,
# slow build machines, where compiling inside the image build takes far longer than with ccache).
ARG BASE_IMAGE=debian:bookworm-slim
ARG BINARY_FROM=build

FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libssl-dev libcurl4-openssl-dev libsqlite3-dev zlib1g-dev libspdlog-dev libcli11-dev prometheus-cpp-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY src src
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAZSQL_BUILD_TESTS=OFF -DAZSQL_BUILD_BENCH=OFF \
 && cmake --build /build --target azsql-mcp \
 && strip /build/azsql-mcp

FROM ${BASE_IMAGE} AS prebuilt
ADD dist/azsql-mcp-*-linux-x86_64.tar.gz /opt/
RUN mkdir /build && cp /opt/azsql-mcp-*/bin/azsql-mcp /build/azsql-mcp

FROM ${BINARY_FROM} AS binary

FROM ${BASE_IMAGE}
# Runtime libraries of the binary (ldd), curl for HEALTHCHECK (it brings libcurl4, which the server
# loads for Entra token requests: managed identity, workload identity, service principal).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates curl libssl3 libsqlite3-0 zlib1g libspdlog1.10 libfmt9 \
      libboost-json1.81.0 libprometheus-cpp-core1.0 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/azsql-mcp --create-home --shell /usr/sbin/nologin azsql
COPY --from=binary /build/azsql-mcp /usr/local/bin/azsql-mcp
LABEL org.opencontainers.image.title="azsql-mcp" \
      org.opencontainers.image.description="MCP server for Azure SQL and SQL Server" \
      io.modelcontextprotocol.server.name="io.github.azsql-mcp/azsql-mcp"
USER 10001:10001
WORKDIR /var/lib/azsql-mcp
ENV MCP_TRANSPORT=http MCP_HOST=0.0.0.0 MCP_PORT=8000 HOME=/var/lib/azsql-mcp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS --max-time 4 "http://127.0.0.1:${MCP_PORT}/health" >/dev/null || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/azsql-mcp"]
