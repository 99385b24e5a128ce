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

.PHONY: setup ui run app test test-rust test-ui test-app test-e2e test-vulkan lint demo clean-cache build-cuda bench-gpu

setup:
	@scripts/setup.sh

# The app crate embeds ui-dist/, so every cargo build of the workspace needs it first.
ui: setup
	npm run build --silent

app: ui
	# --workspace: the same feature resolution as the tests, so no dependency is built twice.
	cargo build --workspace --bin vsl-studio

run: app
	$(CARGO_TARGET_DIR)/debug/vsl-studio

# The test-only fault switch of `vsl worker` and of the app's engine process (FAULT), so the
# crash and kill -9 tests run and its code is linted; release builds (`make app`,
# `cargo build --release`) never have it.
FAULT := --features vsl-cli/fault-injection,vsl-studio/fault-injection

lint: ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets $(FAULT) -- -D warnings

test-rust: ui
	cargo test --workspace $(FAULT) --no-fail-fast

test-ui: setup
	npm test --silent

test-app: app
	scripts/smoke-app.sh

# The real app driven by WebDriver (tauri-driver + WebKitWebDriver) under Xvfb, with the
# tiny.en model that setup installed: drop/open jfk.wav, edit a slide, export the MP4.
# The script builds the app itself, with the e2e-hooks feature.
test-e2e: ui
	scripts/e2e-app.sh

# whisper.cpp's Vulkan backend on Mesa's lavapipe (a CPU Vulkan device, made visible with
# GGML_VK_VISIBLE_DEVICES): the same words and times as the CPU, the device in health, and
# the fallback to the CPU when the GPU fails (VSL_FAULT_GPU, vsl-core's test-only switch).
# Correctness, not speed: lavapipe is slower than the CPU path.
VULKAN := -p vsl-cli --features vsl-cli/vulkan,vsl-core/fault-injection
test-vulkan: setup
	cargo clippy $(VULKAN) --all-targets -- -D warnings
	cargo test $(VULKAN) --test gpu

test: lint test-rust test-ui test-app test-e2e test-vulkan

# One prepared GPU benchmark (bench/gpu.sh): the CUDA build against the CPU path and
# faster-whisper's CUDA path; BACKEND=vulkan for the Vulkan build. Not part of `make test`.
bench-gpu: setup
	bench/gpu.sh

# The CUDA build of the CLI and the app (needs nvidia-cuda-toolkit; not part of `make test`).
build-cuda: ui
	cargo build --release --workspace --bin vsl --bin vsl-studio --features vsl-cli/cuda,vsl-studio/cuda

demo: setup
	@scripts/demo.sh

clean-cache:
	rm -rf $(CACHE)/test-data $(CACHE)/wheels
