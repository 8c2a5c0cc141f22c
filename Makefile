# mneme: `make run` and `make test` are the whole quick start.
SHELL := /bin/bash
JOBS ?= 2
export CCACHE_DIR ?= $(HOME)/.cache/mneme-ccache

.PHONY: run test build setup asan bench clean

setup:
	scripts/setup --deps

build:
	scripts/setup

# Install what is missing, build, and serve on the embedded default:
# RocksDB in ./data, 127.0.0.1:4433 (public) and :4434 (admin).
run: build
	./build/mneme-migrate -c config/dev.yml --yes
	./build/mneme serve -c config/dev.yml --watch-courier

# Install, build (plus an ASan+UBSan build of the unit tests), start what the
# tests need, run every test, stop what was started; fail if any test failed.
test:
	scripts/setup --asan
	scripts/test

bench: build
	scripts/bench

clean:
	rm -rf build build-asan
