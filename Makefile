# The two commands of the README, plus conveniences for developers.
#   make run    install what is missing, build (release), start `nsl serve` on the embedded default (./data)
#   make test   install, build, start throw-away PostgreSQL + Redis, run every test, print ctest's summary
.PHONY: run test deps build unit fuzz bench format clean

JOBS ?= $(shell nproc)
export CCACHE_BASEDIR := $(CURDIR)

deps:
	@bash scripts/deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

run: build
	./build/release/bin/nsl serve $(ARGS)

test: deps
	@bash scripts/test.sh

# Fast set only (seconds): unit tests of the release build.
unit: build
	ctest --preset release -L unit -j $(JOBS)

fuzz: deps
	cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j $(JOBS)

bench: build
	bash bench/http_load.sh
	BENCH_NO_BUILD=1 bash bench/enclave_ratio.sh

format:
	find src tests bench fuzz -name '*.cpp' -o -name '*.hpp' | xargs clang-format-14 -i

clean:
	rm -rf build
