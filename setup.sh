#!/bin/sh
# setup.sh - from a fresh Debian 12 / Ubuntu 24.04 machine (git and this clone,
# nothing else) to the built-in demo:
#
#   ./setup.sh          install the missing packages, build, run build/omnizip-run
#   ./setup.sh --deps   install the missing packages only (make test, .ci/run)
#   ./setup.sh --list   print the package list and exit
#
# This file is the one place the project's Debian packages are named; README,
# `make test` and .ci/run all come through here. Add a package to the group of
# the step that needs it.
set -eu
cd "$(dirname "$0")"

# Compiling and linking: the plugin (libyaml, BLIS for the GEMMs, with
# libopenblas-dev for cblas.h only), the shim (jansson), the inspector (ncursesw).
pkgs_build="build-essential pkg-config libyaml-dev libjansson-dev libblis4-serial
            libopenblas-dev libncurses-dev"
# make test: criterion suites, the inspector driven in tmux, the numpy
# reference, the ABI baseline (abidw/abidiff), the example hosts built
# against an install (C++17, CMake), the layout check (clang-format).
pkgs_test="libcriterion-dev tmux python3 python3-numpy abigail-tools cmake clang-format"
# The Python package (python/): its pytest suite in make test, the torch path
# (Debian's CPU build of torch), and `make python`'s virtual environment.
pkgs_python="python3-pytest python3-torch python3-venv"
# make fuzz: clang with libFuzzer and its sanitizer runtimes (make test's
# corpus replay needs neither). The runtimes come apart from clang and carry
# its major version (libclang-rt-14-dev on Debian 12, libclang-rt-18-dev on
# Ubuntu 24.04), so they are named once clang is there (clang_rt below).
pkgs_fuzz="clang"
packages="$pkgs_build $pkgs_test $pkgs_python $pkgs_fuzz"

say() { printf 'setup: %s\n' "$*"; }

clang_rt() {
    v=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
    [ -z "$v" ] || printf 'libclang-rt-%s-dev' "$v"
}

missing_packages() {
    for p in $packages $(clang_rt); do
        # Status "install ok installed": anything else (absent, half-removed) is missing.
        s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [ "$s" = "install ok installed" ] || printf '%s ' "$p"
    done
}

install_deps() {
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        say "not a Debian-style system (no dpkg/apt-get): install the equivalents of"
        say "  $(echo $packages)"
        say "and run make; carrying on with what is installed"
        return 0
    fi
    missing=$(missing_packages)
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" -eq 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        say "missing packages: $missing"
        say "not root and no sudo: run as root:  apt-get install $missing"
        exit 1
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # Twice at most: clang's runtime package is known only once clang is in.
    for round in 1 2; do
        [ -n "$missing" ] || break
        say "installing missing Debian packages: $missing"
        # shellcheck disable=SC2086
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
        missing=$(missing_packages)
    done
    left=$missing
    if [ -n "$left" ]; then
        say "still missing after apt-get: $left"
        exit 1
    fi
}

case "${1:-}" in
    --list) echo $packages $(clang_rt); exit 0 ;;
    --deps) install_deps; exit 0 ;;
    "") ;;
    *) echo "usage: $0 [--deps | --list]" >&2; exit 2 ;;
esac

install_deps
jobs=$(nproc 2>/dev/null || echo 2)
say "building (make -j$jobs)"
make -j"$jobs"
say "running the built-in demo: build/omnizip-run"
exec build/omnizip-run
