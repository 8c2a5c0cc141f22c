# Builds the three binaries on Debian 12 with the project's own setup script.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN apt-get update && apt-get install -y --no-install-recommends sudo ca-certificates && \
    scripts/setup && strip build/mneme build/mneme-courier build/mneme-migrate

FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends \
      librocksdb7.8 librdkafka1 libcpp-httplib0.11 libcrypto++8 libyaml-cpp0.7 \
      libspdlog1.10 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/mneme /src/build/mneme-courier /src/build/mneme-migrate /usr/local/bin/
EXPOSE 4433 4434
ENTRYPOINT []
