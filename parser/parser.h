/*
 * parser.h: from source text to the syntax tree.
 *
 * sg_parse() runs the flex scanner (lexer/lexer.l) and the bison parser
 * (parser/parser.y) over the whole source. Errors (invalid UTF-8, a bad
 * character, a syntax error, an unclosed bracket or norm) are recorded in
 * src; the parser recovers at the end of each statement and goes on, so that
 * every error in the file is reported. The returned program holds every
 * statement that parsed; a definition whose expression failed to parse is kept
 * with expr == NULL so that later uses of its name are not reported again.
 */
#ifndef SG_PARSER_H
#define SG_PARSER_H

#include "ast.h"

sg_program *sg_parse(sg_src *src, sg_arena *arena);

#endif
