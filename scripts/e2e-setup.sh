#!/usr/bin/env bash
# Installs what the end-to-end tests need to drive a real VS Code offline
# (see ../shared/E2E.md): Debian's chromium, ripgrep and krb5 headers, and
# code-server 4.100.x (VS Code 1.100, runs on node 20) in a cache folder outside
# the project's dependency tree (.e2e-cache/ by default, git-ignored).
#
# Idempotent: when everything is in place it only checks and returns (< 1 s).
# Prints the code-server binary path on its last line of stdout.
#
# Environment:
#   E2E_CACHE_DIR         cache folder (default: <project>/.e2e-cache)
#   CODE_SERVER_VERSION   (default: 4.100.3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${E2E_CACHE_DIR:-$ROOT/.e2e-cache}"
CS_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CS_DIR="$CACHE/code-server-$CS_VERSION"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
MARKER="$CS_DIR/.installed"

log() { echo "[e2e-setup] $*" >&2; }

# ---- 1. Debian packages --------------------------------------------------
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
[ -f /usr/include/krb5.h ] || [ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
# native parts (node-pty, kerberos, ...) build with node-gyp against /usr/include/node
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi

# ---- 2. code-server ------------------------------------------------------
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != 20 ]; then
  log "WARNING: code-server $CS_VERSION expects node 20, found $(node -v)"
fi

if [ -f "$MARKER" ] && [ -x "$CS_BIN" ] && [ -e "$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
  log "code-server $CS_VERSION already installed in $CS_DIR"
  echo "$CS_BIN"
  exit 0
fi

log "installing code-server $CS_VERSION into $CS_DIR (about 1-2 minutes)"
t0=$(date +%s)
mkdir -p "$CS_DIR"
rm -f "$MARKER"

# @vscode/ripgrep's postinstall downloads ripgrep from GitHub (unreachable here).
# It first looks in $TMPDIR/vscode-ripgrep-cache-<pkg version>/ for the tarball:
# a tarball holding Debian's rg satisfies it. Cover the versions code-server 4.x
# pins (the 4.100.x shrinkwrap pins 1.15.11 with ripgrep v13.0.0-10).
TMP_BASE="${TMPDIR:-/tmp}"
rgtmp="$(mktemp -d)"
cp "$(command -v rg)" "$rgtmp/rg"
for pkgv in 1.15.9 1.15.10 1.15.11 1.15.12 1.15.13 1.15.14; do
  for rgv in v13.0.0-10 v13.0.0-13 v13.0.0-4; do
    d="$TMP_BASE/vscode-ripgrep-cache-$pkgv"
    f="$d/ripgrep-$rgv-x86_64-unknown-linux-musl.tar.gz"
    if [ ! -s "$f" ]; then
      mkdir -p "$d"
      tar -C "$rgtmp" -czf "$f" rg
    fi
  done
done
rm -rf "$rgtmp"

# Own package.json so npm treats this folder as its own project (not the
# extension's), and no .npmrc from the project applies.
if [ ! -f "$CS_DIR/package.json" ]; then
  cat >"$CS_DIR/package.json" <<EOF
{ "name": "e2e-code-server", "private": true, "version": "0.0.0" }
EOF
fi

export npm_config_yes=true            # node-pty runs `npx node-gyp`
export npm_config_unsafe_perm=true    # code-server's postinstall insists as root
export npm_config_nodedir="${npm_config_nodedir:-/usr}"  # headers in /usr/include/node
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
unset npm_config_onnxruntime_node_install || true

(
  cd "$CS_DIR"
  npm install --no-save --no-package-lock --loglevel=error "code-server@$CS_VERSION" >&2
)

if [ ! -x "$CS_BIN" ]; then
  log "ERROR: $CS_BIN missing after install"
  exit 1
fi
rgbin="$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
if [ ! -e "$rgbin" ]; then
  log "ERROR: ripgrep not in place at $rgbin"
  exit 1
fi
# a config of our own: --version otherwise writes ~/.config/code-server/config.yaml
printf 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n' >"$CS_DIR/config.yaml"
ver="$("$CS_BIN" --config "$CS_DIR/config.yaml" --version 2>/dev/null | head -1)"
log "code-server: $ver"
touch "$MARKER"
log "done in $(( $(date +%s) - t0 )) s"
echo "$CS_BIN"
