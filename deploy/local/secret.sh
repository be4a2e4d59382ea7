#!/usr/bin/env bash
# Makes sure DATA_DIR/NAME holds a random secret that only its owner can
# read (0600; DATA_DIR itself 0700), for `make run`: NAME is admin-token
# (the API's bearer token) or verp-secret (the key of the local bounce
# domain's VERP return paths and signed headers). An existing secret is
# kept, and its mode tightened if a former version left it readable.
# Prints nothing; the secret never goes to the terminal.
set -euo pipefail
umask 077
dir=${1:?usage: secret.sh DATA_DIR [NAME]}
name=${2:-admin-token}
mkdir -p "$dir"
chmod go-rwx "$dir"
file=$dir/$name
if [ ! -s "$file" ]; then
  # 24 random bytes, hex: 48 characters, above rebond's 16-byte minimum.
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$file"
fi
chmod 600 "$file"
