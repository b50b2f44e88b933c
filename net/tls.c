/* net/tls.c — TLS interception for grants with "tls": "intercept".
 *
 * HTTP rules mean nothing on bytes the proxy cannot read, and an API is
 * HTTPS. The session makes its own CA at start (EC P-256, in memory only,
 * gone with the session), the guest trusts it through the bundle the
 * session writes into the VFS, and each intercepting grant gets a leaf for
 * its host signed by that CA. The proxy terminates the guest's TLS with the
 * leaf and opens its own TLS to the upstream, verified against the host's
 * trust store or the grant's `upstream_ca`, with the grant's host name
 * checked — the guest never decides what the upstream's certificate must
 * be. The leaf is always for the grant's host, whatever name the guest
 * sends: a guest cannot get a certificate for another name out of it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/internal.h"

#define CA_DAYS 30

static EVP_PKEY *new_key(void)
{
    return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int r = X509_add_ext(cert, ext, -1) ? 0 : -1;
    X509_EXTENSION_free(ext);
    return r;
}

/* A certificate for `cn` with `key`, signed by (issuer, issuer_key), or
 * self-signed when issuer is NULL. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *san)
{
    X509 *c = X509_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    bool ok = c && RAND_bytes(serial, sizeof serial) == 1;
    serial[0] &= 0x7f;
    ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) && X509_set_version(c, 2) &&
         X509_gmtime_adj(X509_getm_notBefore(c), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(c), 86400L * CA_DAYS) && X509_set_pubkey(c, key);
    BN_free(bn);
    X509_NAME *name = c ? X509_get_subject_name(c) : NULL;
    ok = ok && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                          (const unsigned char *)"cordon session", -1, -1, 0) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                    -1, 0) &&
         X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
    X509 *signer = issuer ? issuer : c;
    if (ok && !issuer)
        ok = !add_ext(c, signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             !add_ext(c, signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             !add_ext(c, signer, NID_subject_key_identifier, "hash");
    if (ok && issuer)
        ok = !add_ext(c, signer, NID_basic_constraints, "critical,CA:FALSE") &&
             !add_ext(c, signer, NID_key_usage, "critical,digitalSignature") &&
             !add_ext(c, signer, NID_ext_key_usage, "serverAuth") &&
             !add_ext(c, signer, NID_subject_alt_name, san) &&
             !add_ext(c, signer, NID_subject_key_identifier, "hash") &&
             !add_ext(c, signer, NID_authority_key_identifier, "keyid:always");
    if (ok && X509_sign(c, issuer ? issuer_key : key, EVP_sha256()))
        return c;
    X509_free(c);
    return NULL;
}

static int ssl_fail(struct err *e, const char *what)
{
    char msg[256];
    ERR_error_string_n(ERR_get_error(), msg, sizeof msg);
    return err_set(e, 0, "tls: %s: %s", what, msg);
}

int tls_start(struct net *n, struct err *e)
{
    n->ca_key = new_key();
    n->leaf_key = new_key();
    if (!n->ca_key || !n->leaf_key)
        return ssl_fail(e, "key generation");
    n->ca = make_cert("cordon session CA", n->ca_key, NULL, NULL, NULL);
    if (!n->ca)
        return ssl_fail(e, "the session CA");
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    long len;
    if (!b || !PEM_write_bio_X509(b, n->ca) || (len = BIO_get_mem_data(b, &pem)) <= 0 ||
        !(n->ca_pem = strndup(pem, (size_t)len))) {
        BIO_free(b);
        return ssl_fail(e, "the session CA");
    }
    BIO_free(b);
    return 0;
}

int tls_grant(struct net *n, struct grant *g, struct err *e)
{
    char san[300];
    snprintf(san, sizeof san, "%s:%s", g->literal ? "IP" : "DNS", g->host);
    X509 *leaf = make_cert(g->host, n->leaf_key, n->ca, n->ca_key, san);
    if (!leaf)
        return ssl_fail(e, g->label);
    g->guest_ctx = SSL_CTX_new(TLS_server_method());
    bool ok = g->guest_ctx && SSL_CTX_use_certificate(g->guest_ctx, leaf) &&
              SSL_CTX_use_PrivateKey(g->guest_ctx, n->leaf_key) &&
              SSL_CTX_set_min_proto_version(g->guest_ctx, TLS1_2_VERSION);
    X509_free(leaf);
    if (!ok)
        return ssl_fail(e, g->label);
    g->up_ctx = SSL_CTX_new(TLS_client_method());
    if (!g->up_ctx || !SSL_CTX_set_min_proto_version(g->up_ctx, TLS1_2_VERSION))
        return ssl_fail(e, g->label);
    SSL_CTX_set_verify(g->up_ctx, SSL_VERIFY_PEER, NULL);
    if (g->upstream_ca) {
        if (!SSL_CTX_load_verify_locations(g->up_ctx, g->upstream_ca, NULL))
            return err_set(e, 0, "%s.upstream_ca: %s: not a readable PEM certificate file",
                           g->label, g->upstream_ca);
    } else if (!SSL_CTX_set_default_verify_paths(g->up_ctx)) {
        return ssl_fail(e, g->label);
    }
    return 0;
}

void tls_grant_free(struct grant *g)
{
    SSL_CTX_free(g->guest_ctx);
    SSL_CTX_free(g->up_ctx);
    free(g->upstream_ca);
}

void tls_stop(struct net *n)
{
    X509_free(n->ca);
    EVP_PKEY_free(n->ca_key);
    EVP_PKEY_free(n->leaf_key);
    free(n->ca_pem);
}

const char *net_ca_pem(const struct net *n)
{
    return n->ca_pem;
}

const char *const *net_guest_env(const struct net *n)
{
    static const char *const none[] = { NULL };
    static const char *const env[] = {
        "SSL_CERT_FILE=" NET_CA_BUNDLE, "REQUESTS_CA_BUNDLE=" NET_CA_BUNDLE,
        "CURL_CA_BUNDLE=" NET_CA_BUNDLE, NULL,
    };
    return n->ca_pem ? env : none;
}

SSL *tls_accept(const struct grant *g, int fd)
{
    SSL *s = SSL_new(g->guest_ctx);
    if (s && SSL_set_fd(s, fd) && SSL_accept(s) == 1)
        return s;
    SSL_free(s);
    ERR_clear_error();
    return NULL;
}

SSL *tls_connect(const struct grant *g, int fd, const char **why)
{
    SSL *s = SSL_new(g->up_ctx);
    *why = "cannot set up TLS";
    if (!s || !SSL_set_fd(s, fd))
        goto fail;
    if (g->literal) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), g->host);
    } else if (!SSL_set_tlsext_host_name(s, g->host) || !SSL_set1_host(s, g->host)) {
        goto fail;
    }
    if (SSL_connect(s) == 1)
        return s;
    long v = SSL_get_verify_result(s);
    *why = v != X509_V_OK ? X509_verify_cert_error_string(v) : "TLS handshake failed";
fail:
    SSL_free(s);
    ERR_clear_error();
    return NULL;
}
