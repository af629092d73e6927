#!/bin/sh
# gen_scale.sh FAMILY N: writes to stdout a symgrad input of size N for the
# input-scaling section of `make bench` (the formats of tests/scale.sh):
#   sum   L = sum(a1 ⊙ x) + … + sum(aN ⊙ x), in lines of 500 terms, grad L wrt x
#   outs  N outputs d_i = (i+1) x
#   dist  N distinct s_i = sum(x .* x) / i, with `grad s_i wrt x` each
#   deep  a tanh network of N layers (width n), the gradients asked 50 to a line
#   line  one line of N KiB of control bytes (symgrad must reject it: exit 1)
set -eu
fam=${1:?usage: gen_scale.sh sum|outs|dist|deep|line N}
n=${2:?usage: gen_scale.sh sum|outs|dist|deep|line N}
case $fam in
sum) awk -v n="$n" 'BEGIN {
        print "x : vector(n)"
        for (i = 1; i <= n; i++) print "a" i " : vector(n)"
        parts = ""
        for (s = 1; s <= n; s += 500) {
            line = "p" s " ="
            for (i = s; i < s + 500 && i <= n; i++)
                line = line (i > s ? " +" : "") " sum(a" i " ⊙ x)"
            print line
            parts = parts (s > 1 ? " + " : "") "p" s
        }
        print "L = " parts
        print "grad L wrt x"
    }' ;;
outs) awk -v n="$n" 'BEGIN { print "x : vector(n)"
        for (i = 0; i < n; i++) print "d" i " = " i + 1 " x"
        for (i = 0; i < n; i++) print "output d" i }' ;;
dist) awk -v n="$n" 'BEGIN { print "x : vector(n)"
        for (i = 1; i <= n; i++) print "s" i " = sum(x .* x) / " i
        for (i = 1; i <= n; i++) print "grad s" i " wrt x" }' ;;
deep) awk -v L="$n" 'BEGIN {
        print "x : vector(n)\ny : vector(n)"
        for (i = 1; i <= L; i++) print "W" i " : matrix(n, n)"
        print "h0 = x"
        for (i = 1; i <= L; i++) print "h" i " = tanh(W" i " * h" i - 1 ")"
        print "loss = 0.5 * norm(h" L " - y)^2"
        line = ""
        for (i = 1; i <= L; i++) {
            line = line (i % 50 == 1 ? "grad loss wrt " : ", ") "W" i
            if (i % 50 == 0 || i == L) { print line; line = "" }
        }
    }' ;;
line) awk -v n="$n" 'BEGIN { s = ""; for (i = 0; i < 1024; i++) s = s sprintf("%c", 1 + i % 8)
        line = ""; for (i = 0; i < n; i++) line = line s; print line }' ;;
*) echo "gen_scale.sh: unknown family '$fam' (sum, outs, dist, deep, line)" >&2; exit 2 ;;
esac
