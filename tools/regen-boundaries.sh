#!/bin/sh
# regen-boundaries.sh — rebuilds the demo boundaries under data/ from the
# us-atlas npm package (Census cartographic boundaries as TopoJSON), with
# topojson-client, both pinned in tools/package.json and package-lock.json
# and installed here with `npm ci`; also writes every US county to
# $BUILD/bench/counties-all.geojson for `make bench` (not committed).
#
#   sh tools/regen-boundaries.sh [OCD_DIR]
#
# OCD_DIR (default ../shared/ocd-division-ids) holds the Open Civic Data
# identifier CSVs; data/ocd-divisions.csv is refreshed from it when present.
# The product never reads OCD_DIR: only the files written into data/.
set -eu
cd "$(dirname "$0")/.."
OCD_DIR=${1:-../shared/ocd-division-ids}
BUILD=${BUILD:-build}
if [ ! -d tools/node_modules/us-atlas ] || [ ! -d tools/node_modules/topojson-client ]; then
	(cd tools && npm ci --silent --no-audit --no-fund)
fi
node tools/regen-boundaries.mjs "$OCD_DIR" data "$BUILD/bench"
