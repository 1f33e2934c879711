/*
 * cmd_config.c: `duet config SUBCOMMAND ...`, `duet obscure` and `duet
 * reveal`, as rclone's commands of the same names. The config file is the
 * one --config, $DUET_CONFIG or ~/.config/duet/duet.conf names
 * (config/config.h). Password options are obscured before they are
 * stored; the table of backends below says which options those are.
 */
#include "cli/cli.h"
#include "cli/cmds.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/obscure.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"

/* ---- the backends duet knows, with their options ---- */

enum { OPT_PASSWORD = 1, OPT_REQUIRED = 2, OPT_ADVANCED = 4 };

struct cfgc_opt {
	const char *name; /* the key in the config file */
	unsigned flags;   /* OPT_* */
	const char *help; /* one line */
};

struct cfgc_provider {
	const char *name; /* the `type` value */
	const char *desc;
	const struct cfgc_opt *opts; /* ends with a NULL name */
};

static const struct cfgc_opt opts_local[] = {
    {"copy_links", 0, "Follow symlinks and copy the pointed to item"},
    {"links", OPT_ADVANCED,
     "Translate symlinks to/from regular files with a '.rclonelink' extension"},
    {"skip_links", 0, "Don't warn about skipped symlinks"},
    {"one_file_system", OPT_ADVANCED, "Don't cross filesystem boundaries"},
    {"no_check_updated", OPT_ADVANCED, "Don't check to see if the files change during upload"},
    {"no_set_modtime", OPT_ADVANCED, "Disable setting modtime"},
    {"case_sensitive", OPT_ADVANCED, "Force the filesystem to report itself as case sensitive"},
    {"case_insensitive", OPT_ADVANCED, "Force the filesystem to report itself as case insensitive"},
    {NULL, 0, NULL},
};

static const struct cfgc_opt opts_sftp[] = {
    {"host", OPT_REQUIRED, "SSH host to connect to"},
    {"user", 0, "SSH username (default $USER)"},
    {"port", 0, "SSH port number (default 22)"},
    {"pass", OPT_PASSWORD, "SSH password, leave blank to use ssh-agent"},
    {"key_pem", 0, "Raw PEM-encoded private key"},
    {"key_file", 0, "Path to PEM-encoded private key file"},
    {"key_file_pass", OPT_PASSWORD, "The passphrase to decrypt the PEM-encoded private key file"},
    {"pubkey_file", 0, "Optional path to public key file"},
    {"known_hosts_file", 0, "Optional path to known_hosts file"},
    {"key_use_agent", 0, "When set forces the usage of the ssh-agent"},
    {"use_insecure_cipher", 0, "Enable the use of insecure ciphers and key exchange methods"},
    {"disable_hashcheck", 0,
     "Disable the execution of SSH commands to determine if remote file hashing is available"},
    {"shell_type", OPT_ADVANCED, "The type of SSH shell on remote server, if any"},
    {"md5sum_command", OPT_ADVANCED, "The command used to read md5 hashes"},
    {"sha1sum_command", OPT_ADVANCED, "The command used to read sha1 hashes"},
    {"set_modtime", OPT_ADVANCED, "Set the modified time on the remote if set"},
    {"idle_timeout", OPT_ADVANCED, "Max time before closing idle connections"},
    {"concurrency", OPT_ADVANCED, "The maximum number of outstanding requests for one file"},
    {NULL, 0, NULL},
};

/* rclone does not obscure S3's secret_access_key, so neither do we. */
static const struct cfgc_opt opts_s3[] = {
    {"provider", 0, "Choose your S3 provider"},
    {"env_auth", 0,
     "Get AWS credentials from runtime (environment variables or EC2/ECS meta data)"},
    {"access_key_id", 0, "AWS Access Key ID"},
    {"secret_access_key", 0, "AWS Secret Access Key (password)"},
    {"session_token", OPT_ADVANCED, "An AWS session token"},
    {"region", 0, "Region to connect to"},
    {"endpoint", 0, "Endpoint for S3 API"},
    {"location_constraint", 0, "Location constraint - must be set to match the Region"},
    {"acl", 0, "Canned ACL used when creating buckets and storing or copying objects"},
    {"storage_class", 0, "The storage class to use when storing new objects in S3"},
    {"force_path_style", OPT_ADVANCED,
     "If true use path style access if false use virtual hosted style"},
    {"upload_cutoff", OPT_ADVANCED, "Cutoff for switching to chunked upload"},
    {"chunk_size", OPT_ADVANCED, "Chunk size to use for uploading"},
    {"no_check_bucket", OPT_ADVANCED,
     "If set, don't attempt to check the bucket exists or create it"},
    {NULL, 0, NULL},
};

static const struct cfgc_opt opts_azureblob[] = {
    {"account", 0, "Azure Storage Account Name"},
    {"key", 0, "Storage Account Shared Key"},
    {"sas_url", 0, "SAS URL for container level access only"},
    {"connection_string", 0, "Storage Connection String"},
    {"tenant", 0, "ID of the service principal's tenant. Also called its directory ID"},
    {"client_id", 0, "The ID of the client in use"},
    {"client_secret", 0, "One of the service principal's client secrets"},
    {"client_certificate_path", 0,
     "Path to a PEM or PKCS12 certificate file including the private key"},
    {"client_certificate_password", OPT_PASSWORD, "Password for the certificate file (optional)"},
    {"username", OPT_ADVANCED, "User name (usually an email address)"},
    {"password", OPT_PASSWORD | OPT_ADVANCED, "The user's password"},
    {"use_msi", OPT_ADVANCED, "Use a managed service identity to authenticate"},
    {"use_emulator", 0, "Uses local storage emulator if provided as 'true'"},
    {"endpoint", OPT_ADVANCED, "Endpoint for the service"},
    {"access_tier", OPT_ADVANCED, "Access tier of blob: hot, cool, cold or archive"},
    {"chunk_size", OPT_ADVANCED, "Upload chunk size"},
    {"upload_cutoff", OPT_ADVANCED, "Cutoff for switching to chunked upload"},
    {NULL, 0, NULL},
};

static const struct cfgc_provider providers[] = {
    {"local", "Local Disk", opts_local},
    {"sftp", "SSH/SFTP", opts_sftp},
    {"s3", "Amazon S3 Compliant Storage Providers", opts_s3},
    {"azureblob", "Microsoft Azure Blob Storage", opts_azureblob},
};

#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))
#define HIDDEN "*** ENCRYPTED ***"

static const struct cfgc_provider *
cfgc_provider(const char *type)
{
	for (size_t i = 0; type != NULL && i < NPROVIDERS; i++)
		if (strcmp(providers[i].name, type) == 0)
			return &providers[i];
	return NULL;
}

/* 1 when key of a remote of this type is a password to obscure. */
static int
cfgc_is_secret(const char *type, const char *key)
{
	const struct cfgc_provider *p = cfgc_provider(type);
	for (const struct cfgc_opt *op = p ? p->opts : NULL; op != NULL && op->name; op++)
		if (strcmp(op->name, key) == 0)
			return (op->flags & OPT_PASSWORD) != 0;
	return 0;
}

/* ---- shared steps ---- */

static int
cfgc_fail(void)
{
	int code = duet_err_code();
	fprintf(stderr, "Error: %s\n", duet_err_msg());
	return code == DUET_E_USAGE ? EXIT_USAGE : code == DUET_E_NOMEM ? EXIT_FATAL : EXIT_ERROR;
}

static int cfgc_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "Error: ..." for a bad command line; returns EXIT_USAGE. */
static int
cfgc_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "Error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

/* Resolves the path (--config, $DUET_CONFIG, default) and loads the file. */
static int
cfgc_load(const struct cli_opts *o, struct duet_config **c)
{
	char *path = NULL;
	int rc = duet_config_path(o->config_path, &path);
	if (rc == 0)
		rc = duet_config_load(path, c);
	duet_free(path);
	return rc == 0 ? 0 : cfgc_fail();
}

static int
cfgc_save(const struct duet_config *c)
{
	return duet_config_save(c) == 0 ? 0 : cfgc_fail();
}

/* Prints a section as rclone does after create/update: passwords hidden. */
static void
cfgc_print_hidden(const struct duet_config *c, const char *name)
{
	const struct duet_config_section *s = duet_config_find(c, name);
	const char *type = duet_config_get(c, name, "type");
	printf("[%s]\n", name);
	for (size_t i = 0; s != NULL && i < s->nkv; i++)
		printf("%s = %s\n", s->kv[i].key,
		       cfgc_is_secret(type, s->kv[i].key) && s->kv[i].value[0] != '\0'
		           ? HIDDEN
		           : s->kv[i].value);
}

/*
 * The stored form of a password value: obscured, unless --no-obscure, or
 * unless it already reveals (rclone's rule; --obscure forces it).
 */
static int
cfgc_secret(const struct cli_opts *o, const char *key, const char *value, char **out)
{
	char *plain = NULL;
	if (o->config_no_obscure)
		return (*out = duet_strdup(value)) ? 0
		                                   : duet_err_set(DUET_E_NOMEM, "out of memory");
	if (!o->config_obscure && duet_obscure_reveal(value, &plain) == 0) {
		duet_free(plain);
		duet_log(DUET_LOG_NOTICE,
		         "%s looks obscured already and is stored as given; "
		         "use --obscure if it is the plain password",
		         key);
		return (*out = duet_strdup(value)) ? 0
		                                   : duet_err_set(DUET_E_NOMEM, "out of memory");
	}
	return duet_obscure_hide(value, out);
}

/* Sets key value pairs args[0..n) in remote name of the given type. */
static int
cfgc_set_pairs(const struct cli_opts *o, struct duet_config *c, const char *name,
               const char *const *args, int n)
{
	int rc = 0;
	for (int i = 0; rc == 0 && i + 1 < n; i += 2) {
		const char *type = duet_config_get(c, name, "type");
		char *v = NULL;
		if (cfgc_is_secret(type, args[i]))
			rc = cfgc_secret(o, args[i], args[i + 1], &v);
		if (rc == 0)
			rc = duet_config_set(c, name, args[i], v ? v : args[i + 1]);
		duet_free(v);
	}
	return rc;
}

/* Checks the key value list: even length, a known type if "type" is set. */
static int
cfgc_check_pairs(const char *const *args, int n)
{
	if (n % 2 != 0)
		return cfgc_usage("found key without value: \"%s\" needs a value after it",
		                  args[n - 1]);
	for (int i = 0; i < n; i += 2)
		if (strcmp(args[i], "type") == 0 && cfgc_provider(args[i + 1]) == NULL)
			return cfgc_usage("unknown backend type \"%s\": known types are local, "
			                  "sftp, s3, azureblob",
			                  args[i + 1]);
	return 0;
}

/* ---- subcommands: args[0] is the subcommand's first argument ---- */

static int
cfgc_create(const struct cli_opts *o, const char *const *args, int n)
{
	struct duet_config *c = NULL;
	int ec;

	if (!duet_config_name_ok(args[0]))
		return cfgc_usage("invalid remote name \"%s\": use letters, digits, '_', '-', "
		                  "'.', '+', '@' and spaces, not starting with '-' or a space",
		                  args[0]);
	if (cfgc_provider(args[1]) == NULL)
		return cfgc_usage("unknown backend type \"%s\": known types are local, sftp, s3, "
		                  "azureblob (see 'duet config providers')",
		                  args[1]);
	if ((ec = cfgc_check_pairs(args + 2, n - 2)) != 0)
		return ec;
	for (int i = 2; i < n; i += 2)
		if (strcmp(args[i], "type") == 0)
			return cfgc_usage("give the type once, as the second argument, not as key "
			                  "\"%s\"",
			                  args[i]);
	if ((ec = cfgc_load(o, &c)) != 0)
		return ec;
	if (duet_config_find(c, args[0]) != NULL) {
		fprintf(stderr,
		        "Error: remote \"%s\" already exists in %s: change it with 'duet "
		        "config update %s KEY VALUE' or remove it with 'duet config delete %s'\n",
		        args[0], c->path, args[0], args[0]);
		ec = EXIT_ERROR;
	} else if (duet_config_add(c, args[0]) != 0 ||
	           duet_config_set(c, args[0], "type", args[1]) != 0 ||
	           cfgc_set_pairs(o, c, args[0], args + 2, n - 2) != 0) {
		ec = cfgc_fail();
	} else if ((ec = cfgc_save(c)) == 0) {
		cfgc_print_hidden(c, args[0]);
	}
	duet_config_free(c);
	return ec;
}

static int
cfgc_update(const struct cli_opts *o, const char *const *args, int n)
{
	struct duet_config *c = NULL;
	int ec;

	if ((ec = cfgc_check_pairs(args + 1, n - 1)) != 0 || (ec = cfgc_load(o, &c)) != 0)
		return ec;
	if (duet_config_find(c, args[0]) == NULL) {
		fprintf(stderr,
		        "Error: no remote \"%s\" in %s: create it with 'duet config create "
		        "%s TYPE [KEY VALUE]...'\n",
		        args[0], c->path, args[0]);
		ec = EXIT_ERROR;
	} else if (cfgc_set_pairs(o, c, args[0], args + 1, n - 1) != 0) {
		ec = cfgc_fail();
	} else if ((ec = cfgc_save(c)) == 0) {
		cfgc_print_hidden(c, args[0]);
	}
	duet_config_free(c);
	return ec;
}

static int
cfgc_unset(const struct cli_opts *o, const char *const *args, int n)
{
	struct duet_config *c = NULL;
	int ec;

	for (int i = 1; i < n; i++)
		if (strcmp(args[i], "type") == 0)
			return cfgc_usage("can't unset the type of remote \"%s\": use 'duet config "
			                  "delete' to remove the remote",
			                  args[0]);
	if ((ec = cfgc_load(o, &c)) != 0)
		return ec;
	for (int i = 1; ec == 0 && i < n; i++)
		if (duet_config_unset(c, args[0], args[i]) != 0)
			ec = cfgc_fail();
	if (ec == 0)
		ec = cfgc_save(c);
	duet_config_free(c);
	return ec;
}

static int
cfgc_delete(const struct cli_opts *o, const char *const *args, int n)
{
	struct duet_config *c = NULL;
	int ec;

	(void)n;
	if ((ec = cfgc_load(o, &c)) != 0)
		return ec;
	/* As rclone: deleting a remote that isn't there is not an error. */
	if (duet_config_find(c, args[0]) == NULL)
		duet_log(DUET_LOG_NOTICE, "no remote \"%s\" in %s: nothing to delete", args[0],
		         c->path);
	else if (duet_config_delete(c, args[0]) != 0)
		ec = cfgc_fail();
	else
		ec = cfgc_save(c);
	duet_config_free(c);
	return ec;
}

static int
cfgc_show(const struct cli_opts *o, const char *const *args, int n)
{
	struct duet_config *c = NULL;
	struct duet_buf b = DUET_BUF_INIT;
	int ec;

	if ((ec = cfgc_load(o, &c)) != 0)
		return ec;
	if (n == 0 && c->nsec == 0 && c->tail == NULL)
		printf("; empty config\n");
	else if (duet_config_format(c, n > 0 ? args[0] : NULL, &b) != 0)
		ec = cfgc_fail();
	else
		fwrite(b.p, 1, b.len, stdout);
	duet_buf_dispose(&b);
	duet_config_free(c);
	return ec;
}

/* Writes s as a JSON string the way Go's encoder does (rclone's output). */
static void
cfgc_json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			printf("\\n");
		else if (*p == '\r')
			printf("\\r");
		else if (*p == '\t')
			printf("\\t");
		else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
			printf("\\u%04x", *p);
		else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			printf("\\u202%c", p[2] == 0xa8 ? '8' : '9');
			p += 2;
		} else
			putchar(*p);
	}
	putchar('"');
}

static int
cfgc_cmp_sec(const void *a, const void *b)
{
	return strcmp((*(const struct duet_config_section *const *)a)->name,
	              (*(const struct duet_config_section *const *)b)->name);
}

static int
cfgc_cmp_kv(const void *a, const void *b)
{
	return strcmp((*(const struct duet_config_kv *const *)a)->key,
	              (*(const struct duet_config_kv *const *)b)->key);
}

/* One remote of the dump: {"key": "value", ...} sorted by key. */
static int
cfgc_dump_section(const struct duet_config_section *s)
{
	const struct duet_config_kv **kv = NULL;
	if (s->nkv > 0 && (kv = duet_calloc(s->nkv, sizeof(*kv))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	for (size_t i = 0; i < s->nkv; i++)
		kv[i] = &s->kv[i];
	if (s->nkv > 1)
		qsort(kv, s->nkv, sizeof(*kv), cfgc_cmp_kv);
	printf("{");
	for (size_t i = 0; i < s->nkv; i++) {
		printf("%s\n        ", i ? "," : "");
		cfgc_json_str(kv[i]->key);
		printf(": ");
		cfgc_json_str(kv[i]->value);
	}
	printf(s->nkv ? "\n    }" : "}");
	duet_free(kv);
	return 0;
}

/* As rclone config dump: {"name": {"key": "value"}}, sorted, 4-space indent,
 * no newline at the end. */
static int
cfgc_dump(const struct cli_opts *o, const char *const *args, int n)
{
	const struct duet_config_section **v = NULL;
	struct duet_config *c = NULL;
	int ec;

	(void)args, (void)n;
	if ((ec = cfgc_load(o, &c)) != 0)
		return ec;
	if (c->nsec > 0 && (v = duet_calloc(c->nsec, sizeof(*v))) == NULL) {
		ec = cfgc_fail();
		goto out;
	}
	for (size_t i = 0; i < c->nsec; i++)
		v[i] = &c->sec[i];
	if (c->nsec > 1)
		qsort(v, c->nsec, sizeof(*v), cfgc_cmp_sec);
	printf("{");
	for (size_t i = 0; ec == 0 && i < c->nsec; i++) {
		printf("%s\n    ", i ? "," : "");
		cfgc_json_str(v[i]->name);
		printf(": ");
		if (cfgc_dump_section(v[i]) != 0)
			ec = cfgc_fail();
	}
	printf(c->nsec ? "\n}" : "}");
out:
	duet_free(v);
	duet_config_free(c);
	return ec;
}

static int
cfgc_file(const struct cli_opts *o, const char *const *args, int n)
{
	char *path = NULL;
	(void)args, (void)n;
	if (duet_config_path(o->config_path, &path) != 0)
		return cfgc_fail();
	if (access(path, F_OK) == 0)
		printf("Configuration file is stored at:\n%s\n", path);
	else
		printf("Configuration file doesn't exist, but duet will use this path:\n%s\n",
		       path);
	duet_free(path);
	return EXIT_OK;
}

/* As rclone config providers, with the fields duet has. */
static int
cfgc_providers(const struct cli_opts *o, const char *const *args, int n)
{
	(void)o, (void)args, (void)n;
	printf("[");
	for (size_t i = 0; i < NPROVIDERS; i++) {
		const struct cfgc_provider *p = &providers[i];
		printf("%s\n    {\n        \"Name\": \"%s\",\n        \"Description\": ",
		       i ? "," : "", p->name);
		cfgc_json_str(p->desc);
		printf(",\n        \"Prefix\": \"%s\",\n        \"Options\": [", p->name);
		for (const struct cfgc_opt *op = p->opts; op->name != NULL; op++) {
			printf("%s\n            {\n                \"Name\": \"%s\",\n"
			       "                \"Help\": ",
			       op == p->opts ? "" : ",", op->name);
			cfgc_json_str(op->help);
			printf(",\n                \"Required\": %s,\n                "
			       "\"IsPassword\": %s,"
			       "\n                \"Advanced\": %s\n            }",
			       op->flags & OPT_REQUIRED ? "true" : "false",
			       op->flags & OPT_PASSWORD ? "true" : "false",
			       op->flags & OPT_ADVANCED ? "true" : "false");
		}
		printf("\n        ]\n    }");
	}
	printf("\n]\n");
	return EXIT_OK;
}

struct cfgc_sub {
	const char *name;
	int (*run)(const struct cli_opts *o, const char *const *args, int n);
	int min, max; /* argument counts after the subcommand; -1 no limit */
	const char *usage;
};

static const struct cfgc_sub subs[] = {
    {"create", cfgc_create, 2, -1, "create NAME TYPE [KEY VALUE]..."},
    {"update", cfgc_update, 3, -1, "update NAME KEY VALUE [KEY VALUE]..."},
    {"unset", cfgc_unset, 2, -1, "unset NAME KEY [KEY]..."},
    {"delete", cfgc_delete, 1, 1, "delete NAME"},
    {"show", cfgc_show, 0, 1, "show [NAME]"},
    {"dump", cfgc_dump, 0, 0, "dump"},
    {"file", cfgc_file, 0, 0, "file"},
    {"providers", cfgc_providers, 0, 0, "providers"},
};

static int
cfgc_help(FILE *f)
{
	fprintf(f, "Usage:\n");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		fprintf(f, "  duet config %s\n", subs[i].usage);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

int
cmd_config(struct cli_opts *o)
{
	const struct cfgc_sub *s = NULL;
	int ec, n = o->nargs - 1;

	if (o->nargs == 0)
		return cfgc_help(stderr);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(subs[i].name, o->args[0]) == 0)
			s = &subs[i];
	if (s == NULL) {
		fprintf(stderr, "Error: unknown config subcommand \"%s\"\n", o->args[0]);
		return cfgc_help(stderr);
	}
	if (n < s->min || (s->max >= 0 && n > s->max)) {
		fprintf(stderr, "Error: wrong number of arguments for 'duet config %s'\n", s->name);
		fprintf(stderr, "Usage:\n  duet config %s\n", s->usage);
		return EXIT_USAGE;
	}
	if (o->config_obscure && o->config_no_obscure)
		return cfgc_usage("%s", "--obscure and --no-obscure exclude each other");
	ec = s->run(o, o->args + 1, n);
	if (ec == 0 && fflush(stdout) != 0) {
		fprintf(stderr, "Error: can't write to standard output\n");
		ec = EXIT_ERROR;
	}
	return ec;
}

/* ---- obscure, reveal ---- */

/*
 * The argument, or for "-" the first line of stdin without its line end
 * (when stdin is a terminal or empty, "-" itself, as rclone does). *line
 * is set to what must be freed.
 */
static const char *
cfgc_arg_or_stdin(const char *arg, char **line)
{
	size_t cap = 0;
	ssize_t n;

	*line = NULL;
	if (strcmp(arg, "-") != 0 || isatty(STDIN_FILENO))
		return arg;
	if ((n = getline(line, &cap, stdin)) <= 0)
		return arg;
	if (n > 0 && (*line)[n - 1] == '\n')
		(*line)[--n] = '\0';
	if (n > 0 && (*line)[n - 1] == '\r')
		(*line)[--n] = '\0';
	return *line;
}

int
cmd_obscure(struct cli_opts *o)
{
	char *line = NULL, *out = NULL;
	const char *in = cfgc_arg_or_stdin(o->args[0], &line);
	int ec = duet_obscure_hide(in, &out) == 0 ? EXIT_OK : cfgc_fail();

	if (ec == EXIT_OK && (printf("%s\n", out) < 0 || fflush(stdout) != 0)) {
		fprintf(stderr, "Error: can't write to standard output\n");
		ec = EXIT_ERROR;
	}
	free(line); /* from getline */
	duet_free(out);
	return ec;
}

int
cmd_reveal(struct cli_opts *o)
{
	char *line = NULL, *out = NULL;
	const char *in = cfgc_arg_or_stdin(o->args[0], &line);
	int ec = duet_obscure_reveal(in, &out) == 0 ? EXIT_OK : cfgc_fail();

	if (ec == EXIT_OK && (printf("%s\n", out) < 0 || fflush(stdout) != 0)) {
		fprintf(stderr, "Error: can't write to standard output\n");
		ec = EXIT_ERROR;
	}
	free(line);
	duet_free(out);
	return ec;
}
