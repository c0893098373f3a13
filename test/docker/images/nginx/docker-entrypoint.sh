#!/bin/sh
# Stand-in for the official nginx image's /docker-entrypoint.sh. The real one first runs the
# scripts in /docker-entrypoint.d (IPv6 listen tweak, envsubst of templates, worker tuning)
# when the command is nginx; this project mounts complete configs, so the stand-in only execs.
set -e
exec "$@"
