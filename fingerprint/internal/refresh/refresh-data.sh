#!/usr/bin/env bash
# Refreshes the data fingerprint ships: the recog XML databases camsweep has
# evidence for, copied unchanged from a local recog checkout, and the IEEE
# MAC registry from npm's oui-data package (with Debian ieee-data's closed
# IAB registry when installed). Run by `make refresh-data RECOG=DIR`.
set -euo pipefail

recog=${1:?usage: refresh-data.sh RECOG_CHECKOUT [OUI_DATA_VERSION]}
oui_version=${2:-latest}
here=$(cd "$(dirname "$0")/../.." && pwd)   # fingerprint/

# The recog databases that describe evidence camsweep collects (see
# fingerprint/recog_map.go, recogFields).
files="http_servers html_title http_wwwauth http_xpoweredby favicons x509_subjects x509_issuers
rtsp_servers dhcp_vendor_class mdns_device-info_txt snmp_sysdescr"

[ -d "$recog/xml" ] || { echo "refresh-data: $recog/xml not found (want a recog checkout)" >&2; exit 1; }
dst="$here/recog"
rm -f "$dst"/xml/*.xml
mkdir -p "$dst/xml"
for f in $files; do
	cp "$recog/xml/$f.xml" "$dst/xml/$f.xml"
done
cp "$recog/LICENSE" "$dst/LICENSE"
{
	echo "repository: https://github.com/rapid7/recog"
	echo "commit: $(git -C "$recog" log -1 --format=%H)"
	echo "date: $(git -C "$recog" log -1 --format=%cs)"
	echo "license: BSD-2-Clause (LICENSE beside this file)"
	echo "files:$(for f in $files; do printf ' %s.xml' "$f"; done)"
} >"$dst/SOURCE"
echo "refresh-data: recog $(sed -n 's/^commit: //p' "$dst/SOURCE") ($(sed -n 's/^date: //p' "$dst/SOURCE")), $(ls "$dst"/xml | wc -l) files"

# IEEE registry: npm pack fetches the package tarball without installing.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "oui-data@$oui_version" >/dev/null && tar xzf oui-data-*.tgz)
version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json")
published=$(npm view "oui-data@$version" time --json | sed -n "s/.*\"$version\": *\"\([0-9-]*\)T.*/\1/p")
iab=""
if [ -f /usr/share/ieee-data/iab.csv ]; then
	iab=/usr/share/ieee-data/iab.csv
fi
(cd "$here" && go run ./internal/ouigen -oui-data "$tmp/package/index.json" ${iab:+-iab "$iab"} -out oui.tsv.gz)
{
	echo "source: npm oui-data $version (BSD-2-Clause), the IEEE MA-L, MA-M and MA-S registries"
	echo "date: $published"
	if [ -n "$iab" ]; then
		echo "iab: $(dpkg-query -W -f='Debian ieee-data ${Version}' ieee-data 2>/dev/null || echo ieee-data) iab.csv (the IAB registry is closed)"
	fi
} >"$here/oui.source"
echo "refresh-data: OUI table from oui-data $version ($published)"
