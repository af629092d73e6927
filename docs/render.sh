#!/bin/sh
# Renders docs/autoencoder.png, the picture in the README (the derivation
# symgrad --latex writes for examples/autoencoder.sg, as one tall page: its
# body, --fragment, in a page of our own, at 110 dpi), and the first pages of
# the attention and layer-norm derivations (docs/*-page1.png). Needs pdflatex and
# pdftoppm (poppler-utils). Run from anywhere: sh docs/render.sh [SYMGRAD]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=${1:-$top/symgrad}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$top/examples" && "$symgrad" --latex --fragment autoencoder.sg) >"$tmp/body.tex"
cat >"$tmp/page.tex" <<'TEX'
\documentclass[11pt]{article}
\usepackage{amsmath,amssymb,tikz}
\setlength{\paperwidth}{7in}\setlength{\paperheight}{14.5in}
\setlength{\textwidth}{6.5in}\setlength{\textheight}{14.2in}
\setlength{\oddsidemargin}{-0.75in}\setlength{\topmargin}{-0.95in}
\setlength{\headheight}{0pt}\setlength{\headsep}{0pt}
\setlength{\parindent}{0pt}\setlength{\parskip}{0.8ex plus 0.2ex}
\pagestyle{empty}
\begin{document}
\input{body}
\end{document}
TEX
(cd "$tmp" && pdflatex -interaction=nonstopmode -halt-on-error page.tex >/dev/null)
pdftoppm -png -r 110 -singlefile -f 1 -l 1 "$tmp/page.pdf" "$top/docs/autoencoder"
echo "wrote docs/autoencoder.png ($(wc -c <"$top/docs/autoencoder.png") bytes)"

# The first pages of two derivations as a course hands them out (issue 12):
# the full document --latex writes, in its own article, page 1 at 100 dpi.
for name in attention layernorm; do
    (cd "$top/tests/latex" && "$symgrad" --latex "$name.sg") >"$tmp/$name.tex"
    (cd "$tmp" && pdflatex -interaction=nonstopmode -halt-on-error "$name.tex" >/dev/null)
    pdftoppm -png -r 100 -singlefile -f 1 -l 1 "$tmp/$name.pdf" "$top/docs/$name-page1"
    echo "wrote docs/$name-page1.png ($(wc -c <"$top/docs/$name-page1.png") bytes)"
done
