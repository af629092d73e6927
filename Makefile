# symgrad: a plain Makefile.
#
#   make deps       install what building needs (make, cc, flex, bison) with
#                   apt-get when missing
#   make test-deps  install what testing needs (cmocka, clang, g++, valgrind,
#                   python3, cmake, man, OpenBLAS, TeX Live, poppler-utils)
#   make            build ./symgrad (optimized)
#   make test       build with AddressSanitizer + UBSan and run every test: the
#                   cmocka unit tests, the command line, the golden files, the
#                   LaTeX documents through pdflatex, the generated C at run
#                   time, the docs against --help, the Python module of every
#                   example, and $(SHARED)/acceptance/run
#                   when the acceptance suite is there (skipped otherwise)
#   make install    the binary, the man page, LANGUAGE.md, LICENSE and the CMake
#                   package (PREFIX, DESTDIR)
#   make golden     rewrite the golden files from the current symgrad (review the diff!)
#   make smith      N random problems (from SEED) through every mode, checked against
#                   --eval and finite differences (tests/README-smith.md)
#   make fuzz       fuzz the whole pipeline with libFuzzer for FUZZ_SECONDS (60);
#                   what it finds is copied to tests/fuzz-regressions/
#   make clean
#
# Objects go to $(B) (build/ by default, build/asan for the test build);
# flex, bison and the embedded templates are generated into $(B)/gen, never
# into the source tree.

VERSION   := 0.1.0
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -std=c99 -Wall -Wextra -Wshadow -Wmissing-prototypes -Wwrite-strings -pedantic $(WERROR)
# the generated scanner and parser are not ours to keep warning-free
GENWARN   := -std=c99 -Wall -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter
CPPFLAGS  += -D_POSIX_C_SOURCE=200809L -DSG_VERSION='"$(VERSION)"' -I. -I$(B)/gen
LDLIBS    += -lm
FLEX      ?= flex
BISON     ?= bison
B         ?= build
SHARED    ?= ../shared
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# every stage's sources but cli/main.c, which holds main(): the tests link the rest
SRC       := $(wildcard base/*.c lexer/*.c parser/*.c symbolic/*.c codegen/*.c) \
             $(filter-out cli/main.c,$(wildcard cli/*.c))
OBJ       := $(SRC:%.c=$(B)/%.o) $(B)/gen/lexer.o $(B)/gen/grammar.o $(B)/gen/templates.o
TEMPLATES := $(sort $(filter-out templates/embed.c,$(wildcard templates/*.c templates/*.h templates/*.tex templates/*.py)))
TESTS     := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))

.PHONY: all deps install uninstall test unit cli-test integrations golden-test latex-test golden acceptance clean bench \
        fuzz fuzz-replay errors-test gencode-test front-test smith smith-test docs-test \
        test-deps check-test-deps chains-test cwarn-test python-test grade-test
.SUFFIXES:

all: symgrad

symgrad: $(B)/symgrad
	@[ "$(B)" = build ] && cp $(B)/symgrad symgrad || true

$(B)/symgrad: $(B)/cli/main.o $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: %.c | $(B)/gen/grammar.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/gen/%.o: $(B)/gen/%.c | $(B)/gen/grammar.h
	$(CC) $(CPPFLAGS) $(GENWARN) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/gen/lexer.c $(B)/gen/lexer.h: lexer/lexer.l
	@mkdir -p $(B)/gen
	$(FLEX) --header-file=$(B)/gen/lexer.h -o $(B)/gen/lexer.c $<

$(B)/gen/grammar.c $(B)/gen/grammar.h: parser/parser.y
	@mkdir -p $(B)/gen
	$(BISON) -Wall -Werror --defines=$(B)/gen/grammar.h -o $(B)/gen/grammar.c $<

$(B)/gen/lexer.o: $(B)/gen/grammar.h
$(B)/gen/grammar.o: $(B)/gen/lexer.h

# templates/ is compiled into the binary: one byte array per file
$(B)/gen/embed: templates/embed.c
	@mkdir -p $(B)/gen
	$(CC) -std=c99 -O1 -o $@ $<

$(B)/gen/templates.c: $(B)/gen/embed $(TEMPLATES)
	$(B)/gen/embed $(TEMPLATES) > $@.tmp && mv $@.tmp $@

# ---- tests ---------------------------------------------------------------

$(B)/tests/%: tests/%.c $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# the fuzz harness as a plain program that replays the files it is given
$(B)/fuzz-replay: tests/fuzz_pipeline.c $(OBJ)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -DSG_FUZZ_REPLAY -o $@ $^ $(LDFLAGS) $(LDLIBS)

# the libFuzzer harness (make fuzz builds it with clang into build/fuzz)
$(B)/fuzz_pipeline: tests/fuzz_pipeline.c $(OBJ)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDFLAGS) $(LDLIBS)

deps:
	sh .ci/deps build

test-deps:
	sh .ci/deps test

# what make test needs: fails naming the missing packages, and says which
# optional tools are absent (the parts that need them are skipped)
check-test-deps:
	@CC="$(CC)" SHARED="$(SHARED)" sh .ci/deps check

test: check-test-deps
	$(MAKE) B=build/asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" unit cli-test golden-test latex-test integrations \
	    fuzz-replay errors-test gencode-test front-test chains-test cwarn-test docs-test acceptance \
	    smith-test scale-test python-test grade-test

unit: $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

cli-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/cli.sh

integrations: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/integrations.sh

golden-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/golden.sh

# the front end's limits: long names, flat chains, a byte-order mark, long
# lines of errors, --eval past memory, out of memory (tests/front.sh)
front-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/front.sh

# the generated C of every example at run time: empty dimensions, NaN and ±∞,
# singular matrices, exact work buffers, under the sanitizers and valgrind;
# and the C printer's cases (tests/gencode/cgen*.sh): compiled with gcc and
# clang strict, g++ as C++, under the sanitizers, each value against --eval,
# the --check mains, -t float, --dim, --blas (the unit tests compile nothing,
# so that make unit takes seconds)
gencode-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/gencode.sh

# a sum of 2,500 and 5,000 distinct terms: the C printer's memory is linear
scale-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/scale.sh

# ⊙, + and product chains of 250 to 1000 factors through every mode
chains-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/chains.sh

# every example's --latex derivation through pdflatex (skipped without it)
latex-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/latex.sh

# every example from Python: --manifest against docs/manifest.schema.json, the
# --python module (double and float) against --eval and finite differences, its
# errors, --cdef through cffi (skipped without a python3 with numpy)
python-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/python.sh

# answers graded: the statement's diagnostics, --grade's verdicts and exit
# codes on every example's answer files (tests/grade/), the Answers sections
grade-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/grade.sh

# README, man page and --help agree; the README's examples give the output shown
docs-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/docs.sh

# every case of the acceptance suite, when it is beside the clone (SHARED=DIR
# names another place); a plain clone has none and skips it
acceptance: $(B)/symgrad
	@if [ -x $(SHARED)/acceptance/run ]; then \
	    echo "$(SHARED)/acceptance/run --symgrad $(B)/symgrad"; \
	    $(SHARED)/acceptance/run --symgrad $(B)/symgrad; \
	else \
	    echo "acceptance: skipped, no suite at $(SHARED)/acceptance/run (set SHARED=DIR to run it)"; \
	fi

# the generated C: warning-free under -Wconversion … -Werror with gcc and clang,
# no double in -t float code, reserved names renamed, file names kept in comments
cwarn-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/cwarn.sh

# every regression input the fuzzer found, and the seed corpus, through the
# whole pipeline under the sanitizers of the build
fuzz-replay: $(B)/fuzz-replay
	@$(B)/fuzz-replay $(filter-out %.md,$(wildcard tests/fuzz-regressions/*)) examples/*.sg tests/golden/*.sg \
	    $(wildcard tests/latex/*.sg) \
	    $(wildcard $(SHARED)/acceptance/cases/*/problem.sg)

# every diagnostic in the source is pinned by a test
errors-test:
	@sh tests/errors.sh

# random well-formed problems through every mode (tests/smith.py): the plain
# build under the time and memory bounds, $(B)'s (sanitizer) build for crashes;
# smith-test is a fixed-seed batch (--fast: tests/README-smith.md) plus every
# saved regression at full strength
N         ?= 100
SEED      ?= 1
SMITH_TEST_N ?= 200
smith: symgrad
	$(MAKE) B=build/asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" build/asan/symgrad
	python3 tests/smith.py --self-test
	python3 tests/smith.py -n $(N) --seed $(SEED) $(SMITH_FLAGS)

smith-test: $(B)/symgrad
	@command -v python3 >/dev/null || { echo "smith-test: skipped (no python3)"; exit 0; }; \
	$(MAKE) --no-print-directory B=build CFLAGS="-O2 -g" LDFLAGS= build/symgrad && \
	    python3 tests/smith.py --symgrad build/symgrad --asan $(B)/symgrad --out $(B)/smith \
	    -n $(SMITH_TEST_N) --seed 1 --avoid known --fast --sample 40 --jobs 2 && \
	    python3 tests/smith.py --symgrad build/symgrad --asan $(B)/symgrad --out $(B)/smith \
	    --jobs 2 --replay $(wildcard tests/smith-regressions/*.sg)

# make fuzz FUZZ_SECONDS=1800 FUZZ_JOBS=2
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz:
	$(MAKE) B=build/fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    LDFLAGS="$(FUZZ_SAN)" build/fuzz/fuzz_pipeline
	SHARED=$(SHARED) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) sh tests/fuzz.sh build/fuzz

golden: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/golden.sh --update

# the benchmarks (bench/README.md): writes bench/results/
bench: symgrad
	sh bench/run.sh

# make install PREFIX=… DESTDIR=…: the binary, the man page, the language
# reference, the manifest's schema, the licence, and the CMake package
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man/man1
DOCDIR    ?= $(PREFIX)/share/doc/symgrad
# the CMake package: find_package(symgrad) and symgrad_generate()
CMAKEDIR  ?= $(PREFIX)/lib/cmake/symgrad

install: $(B)/symgrad
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CMAKEDIR)
	install -m 755 $(B)/symgrad $(DESTDIR)$(BINDIR)/symgrad
	install -m 644 symgrad.1 $(DESTDIR)$(MANDIR)/symgrad.1
	install -m 644 docs/LANGUAGE.md docs/GENERATED_C.md docs/manifest.schema.json LICENSE $(DESTDIR)$(DOCDIR)
	install -m 644 cmake/symgrad-config.cmake $(DESTDIR)$(CMAKEDIR)/symgrad-config.cmake
	sed 's/@VERSION@/$(VERSION)/' cmake/symgrad-config-version.cmake.in > $(DESTDIR)$(CMAKEDIR)/symgrad-config-version.cmake
	chmod 644 $(DESTDIR)$(CMAKEDIR)/symgrad-config-version.cmake

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/symgrad $(DESTDIR)$(MANDIR)/symgrad.1 \
	    $(DESTDIR)$(DOCDIR)/LANGUAGE.md $(DESTDIR)$(DOCDIR)/GENERATED_C.md $(DESTDIR)$(DOCDIR)/LICENSE \
	    $(DESTDIR)$(DOCDIR)/manifest.schema.json \
	    $(DESTDIR)$(CMAKEDIR)/symgrad-config.cmake $(DESTDIR)$(CMAKEDIR)/symgrad-config-version.cmake
	rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CMAKEDIR) 2>/dev/null || true

clean:
	rm -rf build symgrad

-include $(OBJ:.o=.d) $(B)/cli/main.d
