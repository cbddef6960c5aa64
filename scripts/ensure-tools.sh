#!/usr/bin/env bash
# Installs the real tools the tests drive (git, nginx, etcd, chromium, systemd's systemd-analyze,
# which checks the generated service units, and for the HA front door keepalived, curl (its health
# check) and iproute2's ip (network namespaces), and logrotate (the launcher's logs)) when they are missing. Fails loudly: a test
# is never skipped because a tool is absent.
set -euo pipefail
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || missing+=(etcd-server)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v keepalived >/dev/null 2>&1 || [ -x /usr/sbin/keepalived ] || missing+=(keepalived)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || missing+=(iproute2)
command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] || missing+=(logrotate)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-tools: installing ${missing[*]} with apt-get" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-tools: need root to apt-get install ${missing[*]}; install them and rerun" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "ensure-tools: apt-get update failed" >&2; exit 1; }
  apt-get install -y -qq "${missing[@]}" >/dev/null || { echo "ensure-tools: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi
command -v git >/dev/null 2>&1 || { echo "ensure-tools: git still missing" >&2; exit 1; }
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { echo "ensure-tools: nginx still missing" >&2; exit 1; }
command -v chromium >/dev/null 2>&1 || { echo "ensure-tools: chromium still missing" >&2; exit 1; }
command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || { echo "ensure-tools: etcd still missing" >&2; exit 1; }
command -v systemd-analyze >/dev/null 2>&1 || { echo "ensure-tools: systemd-analyze still missing" >&2; exit 1; }
command -v keepalived >/dev/null 2>&1 || [ -x /usr/sbin/keepalived ] || { echo "ensure-tools: keepalived still missing" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "ensure-tools: curl still missing" >&2; exit 1; }
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || { echo "ensure-tools: ip (iproute2) still missing" >&2; exit 1; }
command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] || { echo "ensure-tools: logrotate still missing" >&2; exit 1; }
