/*
 * cident.h: C identifiers, the one rule for every part of symgrad that
 * names something in C.
 *
 * A name the user gives becomes a field of the generated struct, a prefix
 * becomes the prefix of every exported name, a file name becomes the
 * default prefix. The checker refuses a name that is not an identifier or
 * is a C keyword ("'int' cannot be used as a name in C"); the C printer
 * renames a field that C++, GNU C or a later C standard reserves, since the
 * code it writes must compile as all of them. Both read the lists here.
 */
#ifndef SG_CIDENT_H
#define SG_CIDENT_H

/* s is spelt as a C identifier: a letter or _, then letters, digits and _ */
int sg_cident_is(const char *s);

/* s is a keyword of C99 (the checker refuses these as names) */
int sg_cident_c99_keyword(const char *s);

/* s is a keyword of C (C99, C11, C23), GNU C or C++: no name in the
   generated code may be spelt so */
int sg_cident_keyword(const char *s);

#endif
