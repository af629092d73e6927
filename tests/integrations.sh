#!/bin/sh
# examples/build/ as a user would use it: the Makefile pattern rule, the CMake
# package make install installs (find_package, symgrad_generate), and the
# training program the generated gradient drives.
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

# the CMake package make install installs: in a fresh directory, configure,
# generate, build and run the training loop; the C is generated again when
# the .sg or the symgrad program changes, and only then; without symgrad,
# configuring fails
cmake_builds() { # the number of times symgrad ran in one build of cmake-build
    cmake --build cmake-build 2>&1 | tee -a cmake.log | grep -c 'symgrad autoencoder'
}
if ! command -v cmake >/dev/null 2>&1; then
    echo "integrations: cmake is not installed; skipping the CMake example"
elif make -s -C "$top" install PREFIX="$tmp/cmake-prefix" SYMGRAD="$symgrad" >cmake.log 2>&1 &&
    cp "$symgrad" "$tmp/cmake-prefix/bin/symgrad" &&
    cmake -S . -B cmake-build -DCMAKE_PREFIX_PATH="$tmp/cmake-prefix" >>cmake.log 2>&1 &&
    cmake --build cmake-build >>cmake.log 2>&1 && ./cmake-build/train >>cmake.log 2>&1 &&
    grep -q 'epoch 299' cmake.log; then
    pass=$((pass + 1))
    sleep 1
    n0=$(cmake_builds)
    touch ../autoencoder.sg
    n1=$(cmake_builds)
    sleep 1
    touch "$tmp/cmake-prefix/bin/symgrad"
    n2=$(cmake_builds)
    if [ "$n0 $n1 $n2" = "0 1 1" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL integrations: symgrad_generate ran symgrad $n0, $n1, $n2 times (want 0, 1, 1:" \
            "nothing changed, the .sg changed, symgrad changed)"
    fi
    mv "$tmp/cmake-prefix/bin/symgrad" "$tmp/symgrad.away"
    if [ -e /usr/bin/symgrad ] || [ -e /bin/symgrad ]; then
        echo "integrations: a symgrad in /usr/bin or /bin; skipping the configure failure"
    elif PATH=/usr/bin:/bin cmake -S . -B cmake-none -DCMAKE_PREFIX_PATH="$tmp/cmake-prefix" >none.log 2>&1; then
        fail=$((fail + 1))
        echo "FAIL integrations: find_package(symgrad REQUIRED) configures without symgrad"
    elif grep -q 'the symgrad program was not found' none.log; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL integrations: configuring without symgrad fails, but not saying so:"
        tail -10 none.log
    fi
    mv "$tmp/symgrad.away" "$tmp/cmake-prefix/bin/symgrad"
else
    fail=$((fail + 1))
    echo "FAIL integrations: the installed CMake package and the example"
    tail -20 cmake.log
fi
# make install into a prefix gives a working symgrad and its man page; uninstall removes them
if make -s -C "$top" install PREFIX="$tmp/prefix" >install.log 2>&1 &&
    "$tmp/prefix/bin/symgrad" --version | grep -q '^symgrad ' &&
    MANPATH="$tmp/prefix/share/man" man -w symgrad 2>/dev/null | grep -q "$tmp/prefix" &&
    { ! command -v groff >/dev/null || MANPATH="$tmp/prefix/share/man" man symgrad 2>&1 | grep -q 'GENERATED API'; } &&
    make -s -C "$top" uninstall PREFIX="$tmp/prefix" >>install.log 2>&1 &&
    [ ! -e "$tmp/prefix/bin/symgrad" ] && [ ! -e "$tmp/prefix/share/man/man1/symgrad.1" ] &&
    [ ! -e "$tmp/prefix/lib/cmake/symgrad" ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL integrations: make install / uninstall"
    tail -20 install.log
fi
echo "integrations: $pass passed, $fail failed"
[ $fail = 0 ]
