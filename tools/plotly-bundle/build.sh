#!/bin/sh
# Rebuild hpo_core/dashboard/static/plotly-dashboard.min.js from plotly.js's sources (the
# versions pinned in package-lock.json). Needs node 20 or later and the npm registry.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
version=$(node -p 'require("plotly.js/package.json").version')
out=../../hpo_core/dashboard/static/plotly-dashboard.min.js
# plotly.js's own build settings (its esbuild-config.js), minified, for the traces of entry.js;
# the licences of the bundled packages go at the end of the file
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
    --define:global=window --define:define.amd=false \
    --alias:regl=@plotly/regl --alias:stream=stream-browserify \
    --legal-comments=eof --log-level=warning \
    --banner:js="/* plotly.js v$version (MIT), traces scatter, bar and contour: tools/plotly-bundle */" \
    --outfile="$out"
rm -f "${out%.js}.css"  # the CSS of map traces, which this bundle does not have
cp node_modules/plotly.js/LICENSE ../../hpo_core/dashboard/static/plotly-dashboard.LICENSE.txt
ls -l "$out"
