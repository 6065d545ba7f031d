#!/usr/bin/env bash
# Every test: formatting, lints, and the whole test suite (release mode: kernels are heavy).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python_env.sh
cargo fmt --all -- --check
cargo clippy --all-targets --release -- -D warnings
cargo test --release --workspace
