#!/bin/sh
# Host 10.0.0.3: copy this folder's files to /etc/content-repo/ (but this one), the units to /etc/systemd/system/, then run it.
# --no-block: etcd is ready only once a quorum of members runs, so the first host's would wait for the next ones.
# The target is enabled too, so a reboot starts them all.
set -e
systemctl daemon-reload
systemctl enable --now --no-block content-repo-etcd@e3 content-repo-shard@s3 content-repo-supervisor@3 content-repo-frontend@3000
systemctl enable content-repo.target
