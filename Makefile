# VSL Studio: `make run` and `make test` do all set-up on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
CACHE ?= $(HOME)/.cache/vsl-studio
# Build outputs live outside the clone so fresh clones (and CI) reuse them.
export CARGO_TARGET_DIR ?= $(CACHE)/target
export VSL_TEST_DATA ?= $(CACHE)/test-data
# rustup's cargo, for machines where it is not on PATH yet (added only if missing, since
# build scripts rebuild when PATH changes).
ifeq (,$(findstring $(HOME)/.cargo/bin,$(PATH)))
export PATH := $(HOME)/.cargo/bin:$(PATH)
endif

.PHONY: setup ui run app test test-rust test-ui test-app lint demo clean-cache

setup:
	@scripts/setup.sh

# The app crate embeds ui-dist/, so every cargo build of the workspace needs it first.
ui: setup
	npm run build --silent

app: ui
	cargo build -p vsl-studio

run: app
	$(CARGO_TARGET_DIR)/debug/vsl-studio

lint: ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

test-rust: ui
	cargo test --workspace --no-fail-fast

test-ui: setup
	npm test --silent

test-app: app
	scripts/smoke-app.sh

test: lint test-rust test-ui test-app

demo: setup
	@scripts/demo.sh

clean-cache:
	rm -rf $(CACHE)/test-data $(CACHE)/wheels
