# scorch: the two commands a new user types are `make demo` and `make check`.
#
#   make deps    install the Debian packages we build with (only what is missing)
#   make         build into build/ (meson + ninja)
#   make demo    build, profile the bundled memgraph workload, print its hot spots
#   make check   build, run every test suite (unit, CLI, browser, fuzz; unit and CLI again under
#                ASan+UBSan, whose scorch the CLI tests then run), print the totals
#   make format  clang-format the sources

BUILD ?= build
ASAN_BUILD ?= build-asan
MESON_FLAGS ?=

.PHONY: all deps build demo check check-unit check-asan format clean bench

all: build

deps:
	@bash tools/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	@mkdir -p scorch-out
	$(BUILD)/scorch record -o scorch-out/demo -- $(BUILD)/examples/memgraph/memgraph
	@echo "open scorch-out/demo/flamegraph.html in a browser"

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

check: build $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	@rc=0; \
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 > $(BUILD)/check.log 2>&1 || rc=1; \
	cat $(BUILD)/check.log; \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:verify_asan_link_order=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(ASAN_BUILD) --suite unit --suite cli --print-errorlogs --num-processes 2 \
	  > $(ASAN_BUILD)/check.log 2>&1 || rc=1; \
	sed 's/^/asan: /' $(ASAN_BUILD)/check.log | grep -v '^asan: *$$' | tail -40; \
	sed -i 's/^asan: //' $(ASAN_BUILD)/check.log; \
	bash tools/sum-tests.sh $(BUILD)/check.log $(ASAN_BUILD)/check.log || rc=1; \
	exit $$rc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

bench: build
	@mkdir -p scorch-out
	$(BUILD)/examples/memgraph/bench/bench_memgraph --json scorch-out/bench-memgraph.json \
	  --html scorch-out/bench-memgraph.html
	@echo "reports: scorch-out/bench-memgraph.json, .html; compare two runs with" \
	  "$(BUILD)/scorch bench compare OLD.json NEW.json"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
