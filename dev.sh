#!/usr/bin/env bash
# Developer entry point for Gentou.
#   ./dev.sh setup            system packages, .venv, pip deps, Babel catalogs
#   ./dev.sh run              setup, migrate, demo data, dev server on 127.0.0.1:${PORT:-5000}
#   ./dev.sh test [args...]   setup, then pytest (DATABASE_URL / REDIS_URL from env); -m "not browser" skips Chromium
#   ./dev.sh i18n             extract UI strings of core and every plugin, update the catalogues
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

VENV=.venv
REQ=requirements.txt
REQ_STAMP="$VENV/.requirements.sha256"

APT_PACKAGES=(
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
    libjpeg62-turbo libopenjp2-7 libffi-dev
    fonts-noto-cjk fontconfig poppler-utils redis-server
    chromium
    wrk
)

usage() {
    cat >&2 <<'EOF'
usage: ./dev.sh <command>
  setup               install system packages (apt), create .venv, install requirements, compile translations
  run                 setup, then db upgrade, demo data, and the dev server on 127.0.0.1:${PORT:-5000}
  test [pytest args]  setup, then run pytest (uses DATABASE_URL / GENTOU_TEST_REDIS_URL from the environment)
  i18n                extract the UI strings of core and every plugin and update their catalogues
EOF
}

log() { printf '==> %s\n' "$*" >&2; }

pkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

setup_system() {
    command -v dpkg-query >/dev/null 2>&1 || { log "dpkg-query not found; skipping system package check (not Debian?)"; return 0; }

    local wanted=("${APT_PACKAGES[@]}") missing=() p
    # Debian splits venv/ensurepip out of the stdlib into python3-venv.
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        wanted+=(python3-venv)
    fi
    for p in "${wanted[@]}"; do
        pkg_installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            log "missing Debian packages and neither root nor sudo available; please install:"
            echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
            exit 1
        fi
    fi
    log "installing system packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

setup_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        python3 -m venv "$VENV"
    fi
    local want have=""
    want="$(sha256sum "$REQ" | cut -d' ' -f1)"
    [ -f "$REQ_STAMP" ] && have="$(cat "$REQ_STAMP")"
    if [ "$want" != "$have" ]; then
        log "installing Python requirements"
        "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
        printf '%s\n' "$want" > "$REQ_STAMP"
    fi
}

setup_translations() {
    local dir po mo stale
    shopt -s nullglob
    for dir in core/translations plugins/*/translations; do
        [ -d "$dir" ] || continue
        stale=0
        # only messages.po at <dir>/<lang>/LC_MESSAGES/; recompile when any .mo is missing or older
        for po in "$dir"/*/LC_MESSAGES/messages.po; do
            mo="${po%.po}.mo"
            if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then stale=1; fi
        done
        if [ "$stale" -eq 1 ]; then
            log "compiling translations in $dir"
            "$VENV/bin/pybabel" -q compile -d "$dir"
        fi
    done
    shopt -u nullglob
}

# Each catalogue (core/ and every plugins/<name>/) has its own babel.cfg beside translations/; PYTHONPATH=.
# lets a babel.cfg name an extractor of core (core.plugins.manifest.extract_manifest: a manifest's label, summary).
update_catalogues() {
    local cfg dir
    for cfg in babel.cfg plugins/*/babel.cfg; do
        dir="$(dirname "$cfg")"
        [ "$dir" = "." ] && dir=core
        PYTHONPATH=. "$VENV/bin/pybabel" -q extract -F "$cfg" -k _l -k lazy_gettext --no-location --sort-output \
            -o "$dir/translations/messages.pot" .
        "$VENV/bin/pybabel" -q update --no-fuzzy-matching -i "$dir/translations/messages.pot" -d "$dir/translations"
    done
    log "catalogues updated: translate the empty msgstr entries, then ./dev.sh setup compiles them"
}

setup() {
    setup_system
    setup_venv
    setup_translations
}

cmd="${1:-}"
[ $# -gt 0 ] && shift

case "$cmd" in
    setup)
        setup
        ;;
    run)
        setup
        export FLASK_APP=wsgi
        "$VENV/bin/flask" --app wsgi db upgrade
        "$VENV/bin/flask" --app wsgi gentou demo
        exec "$VENV/bin/flask" --app wsgi run --host 127.0.0.1 --port "${PORT:-5000}"
        ;;
    i18n)
        setup_venv
        update_catalogues
        ;;
    test)
        setup
        export GENTOU_TEST_REDIS_URL="${GENTOU_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
        exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
        ;;
    *)
        usage
        exit 2
        ;;
esac
