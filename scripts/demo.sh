#!/usr/bin/env bash
# The main job on a fresh machine: install (offline-safe), build, import the bundled sample CT into a demo
# catalog, print its geometry, convert it to NIfTI, segment it into the same catalog, measure the stored result,
# and start the workstation (headless server; `npm start` opens the Electron window instead on a desktop with
# Electron installed). Every step must succeed: the script stops at the first failure. For its test
# (test/unit/headless/demo.test.ts): MEDSEG_DEMO_OUT=DIR writes elsewhere, MEDSEG_DEMO_BUILT=1 skips the build that
# `npm test` has just done (rebuilding dist/ while other tests read it would race), MEDSEG_DEMO_NO_SERVE=1 ends
# after the measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}
export ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL:-skip}
[ -d node_modules ] || npm ci --no-audit --no-fund
[ "${MEDSEG_DEMO_BUILT:-0}" = 1 ] || npm run build
OUT=${MEDSEG_DEMO_OUT:-demo-output}
mkdir -p "$OUT"
DB="$OUT/demo.db"
medseg() { node bin/medseg.js "$@"; }
medseg import samples/example_ct_dicom --db "$DB"
medseg info samples/example_ct_dicom
medseg convert samples/example_ct_dicom -o "$OUT/example_ct.nii.gz"
medseg segment samples/example_ct_dicom --model abdomen-ct --device auto --db "$DB" -o "$OUT/example_ct_seg.nii.gz" --json > "$OUT/segment.json"
cat "$OUT/segment.json"
SEG_ID=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (!r.stored) process.exit(1); console.log(r.stored.segmentationId)' "$OUT/segment.json")
medseg measure --db "$DB" --segmentation "$SEG_ID" --csv "$OUT/measurements.csv"
if [ "${MEDSEG_DEMO_NO_SERVE:-0}" = 1 ]; then exit 0; fi
echo "Open the printed address in a browser (Ctrl+C to stop)."
exec node bin/medseg.js serve --db "$DB"
