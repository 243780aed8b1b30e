#!/usr/bin/env bash
# System tools some tests need, installed from Debian only when missing (idempotent, quiet):
#   docker-compose - validates docker-compose.yml (`docker-compose config`; no Docker engine needed)
#   chromium       - renders the publication report headless
set -euo pipefail

declare -A package_of=([docker-compose]=docker-compose [chromium]=chromium)
missing=()
for tool in docker-compose chromium; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_system_tools: missing ${missing[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

export DEBIAN_FRONTEND=noninteractive
echo "install_system_tools: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq >/dev/null
# No recommends: docker-compose would otherwise pull in the Docker engine, which nothing here runs.
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
