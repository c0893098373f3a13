#!/bin/sh
# Stand-in for the official node image's entrypoint: an option or a file that is not a command
# (`docker run IMAGE -e "…"`, `docker run IMAGE app.js`) is handed to node; a command is exec'd.
set -e
if [ "${1#-}" != "${1:-}" ] || { [ -n "${1:-}" ] && ! command -v -- "$1" >/dev/null 2>&1; }; then
    set -- node "$@"
fi
exec "$@"
