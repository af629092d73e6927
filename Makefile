# symgrad: a plain Makefile.
#
#   make deps       install flex, bison, cmocka, … with apt-get when missing
#   make            build ./symgrad (optimized)
#   make test       build with AddressSanitizer + UBSan, run the cmocka unit
#                   tests, the golden tests, the LaTeX documents through pdflatex
#                   (when installed) and ../shared/acceptance/run
#   make golden     rewrite the golden files from the current symgrad (review the diff!)
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
# the acceptance cases the current version must pass (the rest need later
# issues); ACCEPT_XMACRO are the cases whose case.h the suite cannot compile
# (an input named X in X-macros with parameter X): tests/acceptance_xmacro.sh
# runs them from a copy with the macro parameter renamed
ACCEPT    ?= autoencoder autoencoder_ascii mlp_swish err_shape err_undefined rnn_bptt \
             err_unclosed_norm err_grad_of_vector err_bad_utf8 softmax_jacobian least_squares
ACCEPT_XMACRO ?= gp_loglik logreg
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

SRC       := $(wildcard lexer/*.c parser/*.c symbolic/*.c codegen/*.c)
OBJ       := $(SRC:%.c=$(B)/%.o) $(B)/gen/lexer.o $(B)/gen/grammar.o $(B)/gen/templates.o
TEMPLATES := $(sort $(filter-out templates/embed.c,$(wildcard templates/*.c templates/*.h templates/*.tex)))
TESTS     := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))

.PHONY: all deps install uninstall test unit cli-test integrations golden-test latex-test golden acceptance clean bench \
        fuzz fuzz-replay errors-test gencode-test cwarn-test
.SUFFIXES:

all: symgrad

symgrad: $(B)/symgrad
	@[ "$(B)" = build ] && cp $(B)/symgrad symgrad || true

$(B)/symgrad: $(B)/main.o $(OBJ)
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
	sh .ci/deps

test:
	$(MAKE) B=build/asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" unit cli-test golden-test latex-test integrations \
	    fuzz-replay errors-test gencode-test cwarn-test acceptance

unit: $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

cli-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/cli.sh

integrations: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/integrations.sh

golden-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/golden.sh

# the generated C of every example at run time: empty dimensions, NaN and ±∞,
# singular matrices, exact work buffers, under the sanitizers and valgrind
gencode-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/gencode.sh

# every example's --latex derivation through pdflatex (skipped without it)
latex-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/latex.sh

acceptance: $(B)/symgrad
	$(SHARED)/acceptance/run --symgrad $(B)/symgrad $(ACCEPT)
	SHARED=$(SHARED) SYMGRAD=$(B)/symgrad sh tests/acceptance_xmacro.sh $(ACCEPT_XMACRO)

# the generated C: warning-free under -Wconversion … -Werror with gcc and clang,
# no double in -t float code, reserved names renamed, file names kept in comments
cwarn-test: $(B)/symgrad
	@SYMGRAD=$(B)/symgrad sh tests/cwarn.sh

# every regression input the fuzzer found, and the seed corpus, through the
# whole pipeline under the sanitizers of the build
fuzz-replay: $(B)/fuzz-replay
	@$(B)/fuzz-replay $(filter-out %.md,$(wildcard tests/fuzz-regressions/*)) examples/*.sg tests/golden/*.sg \
	    $(wildcard $(SHARED)/acceptance/cases/*/problem.sg)

# every diagnostic in the source is pinned by a test
errors-test:
	@sh tests/errors.sh

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

# make install PREFIX=… DESTDIR=…: the binary and the man page
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man/man1

install: $(B)/symgrad
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 $(B)/symgrad $(DESTDIR)$(BINDIR)/symgrad
	install -m 644 symgrad.1 $(DESTDIR)$(MANDIR)/symgrad.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/symgrad $(DESTDIR)$(MANDIR)/symgrad.1

clean:
	rm -rf build symgrad

-include $(OBJ:.o=.d) $(B)/main.d
