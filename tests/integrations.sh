#!/bin/sh
# examples/build/ as a user would use it: the Makefile pattern rule, the CMake
# function, and the training program the generated gradient drives.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$top/examples" "$tmp/examples"
cd "$tmp/examples/build" || exit 1
pass=0
fail=0

if make -s SYMGRAD="$symgrad" run >make.log 2>&1 && grep -q 'epoch 299' make.log; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL integrations: the Makefile pattern rule and training loop"
    tail -20 make.log
fi
# make regenerates the C when the problem changes
sleep 1
touch autoencoder.sg
if make SYMGRAD="$symgrad" train 2>&1 | grep -q 'symgrad\|autoencoder.c'; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL integrations: make does not regenerate after the .sg changes"
fi

if command -v cmake >/dev/null 2>&1; then
    if cmake -S . -B cmake-build -DSYMGRAD="$symgrad" >cmake.log 2>&1 &&
        cmake --build cmake-build >>cmake.log 2>&1 && ./cmake-build/train >>cmake.log 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL integrations: the CMake function"
        tail -20 cmake.log
    fi
else
    echo "integrations: cmake is not installed; skipping the CMake example"
fi
# make install into a prefix gives a working symgrad and its man page; uninstall removes them
if make -s -C "$top" install PREFIX="$tmp/prefix" >install.log 2>&1 &&
    "$tmp/prefix/bin/symgrad" --version | grep -q '^symgrad ' &&
    MANPATH="$tmp/prefix/share/man" man -w symgrad 2>/dev/null | grep -q "$tmp/prefix" &&
    { ! command -v groff >/dev/null || MANPATH="$tmp/prefix/share/man" man symgrad 2>&1 | grep -q 'GENERATED API'; } &&
    make -s -C "$top" uninstall PREFIX="$tmp/prefix" >>install.log 2>&1 &&
    [ ! -e "$tmp/prefix/bin/symgrad" ] && [ ! -e "$tmp/prefix/share/man/man1/symgrad.1" ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL integrations: make install / uninstall"
    tail -20 install.log
fi
echo "integrations: $pass passed, $fail failed"
[ $fail = 0 ]
