/* net/dlp.h — the egress data-loss scan: does a byte range carry one of the
 * session's canary tokens, raw or encoded the ways exfiltration encodes
 * (base64 at any alignment, hex in either case, URL-encoding, whole or in
 * part)?
 *
 * Owns only the matching. The proxy decides what a hit means (an HTTP
 * request refused before any of it goes upstream; a raw grant's connection
 * cut) and raises the event. Tokens come from events_canary_tokens(), fixed
 * before the guest starts.
 */
#ifndef CORDON_NET_DLP_H
#define CORDON_NET_DLP_H

#include <stddef.h>

/* The longest needle any token yields: a raw stream keeps this many bytes
 * of its previous read so a token split across reads is still seen. */
#define DLP_WINDOW 1024

/* NULL when data[0..len) carries no token, else how it was carried
 * ("raw", "base64", "hex", "url-encoded"). */
const char *dlp_scan(const char *data, size_t len);

#endif
