#!/usr/bin/env bash
# Vendors the report's plotting library: npm-installs pinned vega, vega-lite and vega-embed into a scratch folder
# and copies their minified UMD builds and licences into src/NExtLong/Report/Assets/, where they are embedded in the
# library and inlined into every report (no network at report time). Run once per version bump, then commit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
assets=$root/src/NExtLong/Report/Assets
VEGA=6.4.0
VEGA_LITE=6.5.0
VEGA_EMBED=7.3.0

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent --save-exact "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED" >/dev/null 2>&1 \
  || { echo "fetch-vega: npm install failed (needs the npm registry)" >&2; exit 1; }

mkdir -p "$assets"
for p in vega vega-lite vega-embed; do
  cp "node_modules/$p/build/$p.min.js" "$assets/$p.min.js"
  cp "node_modules/$p/LICENSE" "$assets/LICENSE-$p.txt"
done
# vega.min.js bundles d3 and other packages; their licences (every package npm installed, a superset) go in one file.
{
  echo "Licences of the packages installed with vega@$VEGA, vega-lite@$VEGA_LITE and vega-embed@$VEGA_EMBED;"
  echo "the minified builds bundle some of them (vega.min.js: d3-*, topojson-client, ...; vega-embed.min.js: vega-tooltip, ...)."
  for dir in $(npm ls --all --parseable | tail -n +2 | sort -u); do
    lic=$(find "$dir" -maxdepth 1 -iname 'licen[sc]e*' | head -1)
    [[ -n "$lic" ]] || continue
    echo
    echo "==== $(node -p "const p=require('$dir/package.json'); p.name + '@' + p.version + ' (' + p.license + ')'")"
    cat "$lic"
  done
} > "$assets/THIRD-PARTY-NOTICES.txt"
printf 'vega %s\nvega-lite %s\nvega-embed %s\n' "$VEGA" "$VEGA_LITE" "$VEGA_EMBED" > "$assets/VERSIONS.txt"
ls -l "$assets" >&2
