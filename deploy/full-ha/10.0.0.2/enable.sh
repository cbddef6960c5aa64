#!/bin/sh
# Host 10.0.0.2: copy this folder's files to /etc/content-repo/ (but this one), the units to /etc/systemd/system/, then run it.
# --no-block: etcd is ready only once a quorum of members runs, so the first host's would wait for the next ones.
# The target is enabled too, so a reboot starts them all.
set -e
systemctl daemon-reload
systemctl enable --now --no-block content-repo-etcd@e2 content-repo-shard@s2 content-repo-supervisor@2 content-repo-frontend@3000 content-repo-nginx content-repo-keepalived
systemctl enable content-repo.target
