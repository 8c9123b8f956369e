/*
 * TLS on the listening socket: one SSL_CTX made at start-up from tls_cert
 * and tls_key (TLS 1.2 at least); with tls_ca, every client must present a
 * certificate that CA signed. conn.c wraps each accepted socket in a
 * bufferevent_openssl around tls_ssl_new(). Only this file and conn.c see
 * OpenSSL.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "../lib/log.h"
#include "ogid.h"

static SSL_CTX *tls_ctx;

/*
 * The first error queued, the root cause (a missing file comes before
 * "PEM lib"), as text; the queue is emptied.
 */
static const char *
tls_queue_text(char *buf, size_t size)
{
	unsigned long e = ERR_peek_error();
	const char *text = tls_error_text(e);

	snprintf(buf, size, "%s", text != NULL ? text : "unknown error");
	ERR_clear_error();
	return buf;
}

/* A daemon has nobody to ask for a passphrase: encrypted keys fail. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return 0;
}

static void
tls_check_key_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		log_warnx("tls: %s is accessible by group or others (mode "
		          "%03o): chmod 600 it",
		          path, (unsigned)(st.st_mode & 0777));
}

int
tls_init(const struct ogi_config *cfg)
{
	const char *what = "SSL_CTX_new";
	SSL_CTX *ctx;
	char why[256];
	long opts;

	if (cfg->tls_cert[0] == '\0' && cfg->tls_key[0] == '\0') {
		if (cfg->tls_ca[0] == '\0')
			return 0;
		log_warnx("tls: tls_ca needs tls_cert and tls_key");
		return -1;
	}
	if (cfg->tls_cert[0] == '\0' || cfg->tls_key[0] == '\0') {
		log_warnx("tls: tls_cert and tls_key go together");
		return -1;
	}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	what = "TLS 1.2";
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	/*
	 * TLS 1.2 with forward secrecy and AEAD only (OpenSSL's default list
	 * took AES128-SHA: RSA key exchange, CBC and SHA-1); TLS 1.3's own
	 * suites are all of that kind.
	 */
	what = "TLS 1.2 cipher list";
	if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
		goto fail;
	opts = SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE;
#ifdef SSL_OP_NO_RENEGOTIATION
	opts |= SSL_OP_NO_RENEGOTIATION;
#endif
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/*
	 * A client that closes without close_notify ends its stream as over
	 * TCP: complete lines are answered. A truncated request cannot run
	 * instead of the one sent, as every request is a whole JSON text and
	 * no prefix of an object or array parses.
	 */
	opts |= SSL_OP_IGNORE_UNEXPECTED_EOF;
#endif
	SSL_CTX_set_options(ctx, opts);
	/* Idle connections do not keep 34 KiB of buffers each. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	what = cfg->tls_cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1)
		goto fail;
	what = cfg->tls_key;
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) !=
	        1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	if (cfg->tls_ca[0] != '\0') {
		what = cfg->tls_ca;
		if (SSL_CTX_load_verify_locations(ctx, cfg->tls_ca, NULL) != 1)
			goto fail;
		/* The CAs the server names to clients: the same file's. */
		SSL_CTX_set_client_CA_list(
		    ctx, SSL_load_client_CA_file(cfg->tls_ca));
		if (SSL_CTX_get_client_CA_list(ctx) == NULL)
			goto fail;
		SSL_CTX_set_verify(
		    ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		    NULL);
	}
	/* Without it, resuming a verified session fails. */
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"ogid", 4);
	tls_check_key_mode(cfg->tls_key);
	tls_ctx = ctx;
	log_info("tls: event=ready cert=%s client_certificates=%s",
	         cfg->tls_cert,
	         cfg->tls_ca[0] != '\0' ? "required" : "not_asked");
	return 0;
fail:
	log_warnx("tls: %s: %s", what, tls_queue_text(why, sizeof why));
	SSL_CTX_free(ctx);
	return -1;
}

void
tls_free(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

bool
tls_enabled(void)
{
	return tls_ctx != NULL;
}

SSL *
tls_ssl_new(void)
{
	char why[256];
	SSL *ssl;

	if ((ssl = SSL_new(tls_ctx)) == NULL)
		log_warnx("tls: SSL_new: %s", tls_queue_text(why, sizeof why));
	return ssl;
}

void
tls_describe(SSL *ssl, char *buf, size_t size)
{
	char subject[256] = "", esc[4 * 64 + 8];
	bool client;
	X509 *cert;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	cert = SSL_get1_peer_certificate(ssl);
#else
	cert = SSL_get_peer_certificate(ssl);
#endif
	if ((client = cert != NULL)) {
		X509_NAME_oneline(X509_get_subject_name(cert), subject,
		                  sizeof subject);
		X509_free(cert);
	}
	snprintf(buf, size, "version=%s cipher=%s%s%s%s", SSL_get_version(ssl),
	         SSL_get_cipher_name(ssl), client ? " client=\"" : "",
	         client ? log_escape(subject, esc, sizeof esc) : "",
	         client ? "\"" : "");
}

void
tls_close_notify(SSL *ssl)
{
	/* After a fatal error the handshake is not finished either. */
	if (SSL_is_init_finished(ssl) &&
	    (SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN) == 0)
		(void)SSL_shutdown(ssl); /* best effort, non-blocking */
	ERR_clear_error();
}

const char *
tls_error_text(unsigned long e)
{
	const char *s;
	static char buf[128];

	/* libevent queues SSL_get_error()'s small codes among the errors. */
	if (e == 0 || ERR_GET_LIB(e) == 0)
		return NULL;
	if ((s = ERR_reason_error_string(e)) != NULL)
		return s;
	ERR_error_string_n(e, buf, sizeof buf);
	return buf;
}
