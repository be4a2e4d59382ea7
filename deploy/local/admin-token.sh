#!/usr/bin/env bash
# Makes sure DATA_DIR/admin-token holds an admin token that only its owner
# can read (0600; DATA_DIR itself 0700), for `make run`. An existing token
# is kept, and its mode tightened if a former version left it readable.
# Prints nothing; the token never goes to the terminal.
set -euo pipefail
umask 077
dir=${1:?usage: admin-token.sh DATA_DIR}
mkdir -p "$dir"
chmod go-rwx "$dir"
file=$dir/admin-token
if [ ! -s "$file" ]; then
  # 24 random bytes, hex: 48 characters, above rebond's 16-byte minimum.
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$file"
fi
chmod 600 "$file"
