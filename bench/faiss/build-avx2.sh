#!/usr/bin/env bash
# Builds FAISS from Debian's own source package (the version python3-faiss ships) with -DFAISS_OPT_LEVEL=avx2,
# Release, against the same OpenBLAS, so the benchmark's anchor is the build pip users run rather than Debian's
# generic one (its debian/rules sets no FAISS_OPT_LEVEL). Cached: a second call only prints the PYTHONPATH.
#
#   bench/faiss/build-avx2.sh            # prints the folder to put on PYTHONPATH
#
# Where: $NEXTLONG_FAISS_CACHE (default ~/.cache/nextlong/faiss-avx2). Needs root for apt (deb-src is enabled in
# a sources file of its own if no deb-src entry exists).
set -euo pipefail
CACHE="${NEXTLONG_FAISS_CACHE:-$HOME/.cache/nextlong/faiss-avx2}"
PKG="$CACHE/python"
if [[ -f $PKG/faiss/__init__.py && -f $CACHE/.built ]]; then echo "$PKG"; exit 0; fi
mkdir -p "$CACHE"
if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  cat > /etc/apt/sources.list.d/nextlong-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq dpkg-dev cmake swig g++ python3-dev \
  python3-numpy python3-setuptools libopenblas-dev libopenblas0-openmp >&2
cd "$CACHE"
src=$(find . -maxdepth 1 -type d -name 'faiss-*' | head -1)
if [[ -z $src ]]; then
  apt-get source -qq faiss >&2
  src=$(find . -maxdepth 1 -type d -name 'faiss-*' | head -1)
fi
cd "$src"
cmake -B build -DCMAKE_BUILD_TYPE=Release -DFAISS_OPT_LEVEL=avx2 -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=ON \
  -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=OFF -DBLA_VENDOR=OpenBLAS -DPython_EXECUTABLE=/usr/bin/python3 >&2
cmake --build build -j"$(nproc)" --target swigfaiss swigfaiss_avx2 >&2
(cd build/faiss/python && /usr/bin/python3 setup.py build >&2)
rm -rf "$PKG" && mkdir -p "$PKG"
cp -r build/faiss/python/build/lib*/faiss "$PKG/"
# The anchor must be the AVX2 build, not a silent fallback to the generic one.
PYTHONPATH="$PKG" /usr/bin/python3 -c 'import faiss, sys; o = faiss.get_compile_options(); sys.exit(0 if "AVX2" in o else f"loaded a build with {o!r}, not the AVX2 one")' >&2
touch "$CACHE/.built"
echo "$PKG"
