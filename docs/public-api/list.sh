#!/bin/sh
# The crate's public surface, all features, one sorted line per item:
#   docs/public-api/list.sh > docs/public-api/after.txt
# rustdoc JSON is unstable; RUSTC_BOOTSTRAP lets the stable toolchain emit
# it. Its own target directory keeps the flag from invalidating the
# ordinary build's cache.
set -eu
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}/public-api"
CARGO_TARGET_DIR="$target" RUSTC_BOOTSTRAP=1 \
    cargo rustdoc --quiet --lib --all-features -- -Z unstable-options --output-format json >&2
python3 docs/public-api/list.py "$target/doc/tencent_faceid.json"
