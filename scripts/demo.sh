#!/usr/bin/env bash
# The main job on a fresh machine: install (offline-safe), build, import the bundled sample CT into a demo
# catalog, print its geometry, convert it to NIfTI, and start the workstation (headless server; `npm start`
# opens the Electron window instead on a desktop with Electron installed).
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}
export ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL:-skip}
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
mkdir -p demo-output
DB=demo-output/demo.db
npx medseg import samples/example_ct_dicom --db "$DB"
npx medseg info samples/example_ct_dicom
npx medseg convert samples/example_ct_dicom -o demo-output/example_ct.nii.gz
if npx medseg --help | grep -q '^  segment'; then
  npx medseg segment samples/example_ct_dicom --model abdomen-ct --db "$DB" -o demo-output/example_ct_seg.nii.gz --json || true
fi
if npx medseg --help | grep -q '^  serve'; then
  echo "Open the printed address in a browser (Ctrl+C to stop)."
  exec npx medseg serve --db "$DB"
fi
