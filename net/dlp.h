/* net/dlp.h — the egress data-loss scan: does a byte range carry one of the
 * session's canary tokens or registered secrets, raw or encoded the ways
 * exfiltration encodes (base64 at any alignment, hex in either case,
 * URL-encoding, whole or in part)?
 *
 * Owns the matching and the registered secrets: the policy's "dlp" section,
 *     "dlp": {"secrets": ["a literal value"], "secrets_env": ["MY_TOKEN"]}
 * (secrets_env: read from cordon's own environment at start). A registered
 * secret is a value the guest may be able to read (a mounted credentials
 * file, a token handed to the tool) but must not send anywhere. Values are
 * never logged: a hit names the secret by its key ("$MY_TOKEN",
 * "dlp.secrets[0]").
 * The proxy decides what a hit means (an HTTP request refused before any of
 * it goes upstream; a raw grant's connection cut) and raises the event.
 * Canary tokens come from events_canary_tokens(), fixed before the guest
 * starts.
 */
#ifndef CORDON_NET_DLP_H
#define CORDON_NET_DLP_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct json_object;
struct dlp;

/* The longest needle any token or secret yields: a raw stream keeps this
 * many bytes of its previous read so a needle split across reads is seen. */
#define DLP_WINDOW 1024
/* A registered secret's length in bytes: shorter ones would match innocent
 * traffic, longer ones would outgrow the window. */
#define DLP_SECRET_MIN 8
#define DLP_SECRET_MAX 200

/* Reads the policy's "dlp" section (NULL: none; canaries are scanned
 * regardless). Errors name the key: `policy FILE: dlp.secrets_env[0]: ...`. */
int dlp_load(struct json_object *section, const char *file, struct dlp **out, struct err *e);
void dlp_free(struct dlp *d);
/* Is there anything to look for (a canary or a secret)? */
bool dlp_active(const struct dlp *d);

/* The name of the registered secret equal to value, or NULL. */
const char *dlp_registered(const struct dlp *d, const char *value);

struct dlp_hit {
    const char *kind;   /* "canary token", "registered secret" */
    const char *name;   /* which secret ("$MY_TOKEN", "dlp.secrets[0]"); "" for a canary */
    const char *how;    /* "raw", "base64", "hex", "url-encoded" */
};
/* Does data[0..len) carry a token or a secret? The first found, in *hit. */
bool dlp_scan(const struct dlp *d, const char *data, size_t len, struct dlp_hit *hit);

#endif
