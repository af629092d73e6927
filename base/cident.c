/*
 * cident.c: C identifiers (cident.h). One list of keywords, each marked
 * with whether C99 has it: the checker refuses those, the C printer renames
 * them all.
 */
#include "cident.h"

#include <string.h>

static const struct {
    const char *word;
    int c99; /* a keyword of C99 */
} keywords[] = {
    {"auto", 1}, {"break", 1}, {"case", 1}, {"char", 1}, {"const", 1}, {"continue", 1},
    {"default", 1}, {"do", 1}, {"double", 1}, {"else", 1}, {"enum", 1}, {"extern", 1},
    {"float", 1}, {"for", 1}, {"goto", 1}, {"if", 1}, {"inline", 1}, {"int", 1}, {"long", 1},
    {"register", 1}, {"restrict", 1}, {"return", 1}, {"short", 1}, {"signed", 1},
    {"sizeof", 1}, {"static", 1}, {"struct", 1}, {"switch", 1}, {"typedef", 1}, {"union", 1},
    {"unsigned", 1}, {"void", 1}, {"volatile", 1}, {"while", 1}, {"_Bool", 1},
    {"_Complex", 1}, {"_Imaginary", 1},
    /* C23 and GNU C */
    {"typeof", 0}, {"typeof_unqual", 0}, {"alignas", 0}, {"alignof", 0}, {"asm", 0},
    {"bool", 0}, {"constexpr", 0}, {"false", 0}, {"nullptr", 0}, {"static_assert", 0},
    {"thread_local", 0}, {"true", 0},
    /* C++ */
    {"and", 0}, {"and_eq", 0}, {"bitand", 0}, {"bitor", 0}, {"catch", 0}, {"char8_t", 0},
    {"char16_t", 0}, {"char32_t", 0}, {"class", 0}, {"compl", 0}, {"concept", 0},
    {"consteval", 0}, {"constinit", 0}, {"const_cast", 0}, {"co_await", 0}, {"co_return", 0},
    {"co_yield", 0}, {"decltype", 0}, {"delete", 0}, {"dynamic_cast", 0}, {"explicit", 0},
    {"export", 0}, {"friend", 0}, {"mutable", 0}, {"namespace", 0}, {"new", 0},
    {"noexcept", 0}, {"not", 0}, {"not_eq", 0}, {"operator", 0}, {"or", 0}, {"or_eq", 0},
    {"private", 0}, {"protected", 0}, {"public", 0}, {"reinterpret_cast", 0},
    {"requires", 0}, {"static_cast", 0}, {"template", 0}, {"this", 0}, {"throw", 0},
    {"try", 0}, {"typeid", 0}, {"typename", 0}, {"using", 0}, {"virtual", 0},
    {"wchar_t", 0}, {"xor", 0}, {"xor_eq", 0},
};

int sg_cident_is(const char *s)
{
    size_t i;
    if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (i = 1; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

/* 1 for a C99 keyword, 2 for another keyword, 0 for none */
static int keyword_kind(const char *s)
{
    size_t i;
    for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (!strcmp(s, keywords[i].word))
            return keywords[i].c99 ? 1 : 2;
    return 0;
}

int sg_cident_c99_keyword(const char *s)
{
    return keyword_kind(s) == 1;
}

int sg_cident_keyword(const char *s)
{
    return keyword_kind(s) != 0;
}
