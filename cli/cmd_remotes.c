/*
 * cmd_remotes.c: `duet listremotes [--long] [--json]`, as rclone's: the
 * remotes of the config file in file order, then those defined only in
 * the environment (DUET_CONFIG_<NAME>_TYPE, named in lower case), each as
 * "name:". --long adds the type, --json prints name, type and source.
 */
#include "cli/cli.h"
#include "cli/cmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/error.h"

extern char **environ;

struct lr_remote {
	char name[256];
	const char *type;   /* borrowed from the config or the environment */
	const char *source; /* "file" or "environment" */
};

/* The remote name of DUET_CONFIG_<NAME>_TYPE=..., lower-cased, or 0. */
static int
lr_env_name(const char *var, char *name, size_t cap)
{
	static const char pre[] = "DUET_CONFIG_", suf[] = "_TYPE=";
	const char *eq = strchr(var, '=');
	size_t n;

	if (eq == NULL || strncmp(var, pre, sizeof(pre) - 1) != 0)
		return 0;
	n = (size_t)(eq + 1 - var);
	if (n < sizeof(pre) - 1 + sizeof(suf) || strncmp(eq + 1 - (sizeof(suf) - 1), suf,
	    sizeof(suf) - 1) != 0)
		return 0;
	n -= sizeof(pre) - 1 + sizeof(suf) - 1;
	if (n + 1 > cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = var[sizeof(pre) - 1 + i];
		name[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	name[n] = '\0';
	return duet_config_name_ok(name);
}

/* 1 when the file has a section the environment spells as name. */
static int
lr_in_file(const struct duet_config *c, const char *name)
{
	for (size_t i = 0; i < c->nsec; i++) {
		const char *a = c->sec[i].name, *b = name;
		for (; *a && *b; a++, b++) {
			char x = *a == '-' ? '_' : *a;
			if ((x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) != *b)
				break;
		}
		if (*a == '\0' && *b == '\0')
			return 1;
	}
	return 0;
}

static void
lr_json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
lr_print(const struct cli_opts *o, const struct lr_remote *r, size_t n)
{
	int w = 0;

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(r[i].name) > w)
			w = (int)strlen(r[i].name);
	if (o->json)
		printf("[");
	for (size_t i = 0; i < n; i++) {
		if (o->json) {
			printf("%s\n    {\"name\": ", i ? "," : "");
			lr_json_str(r[i].name);
			printf(", \"type\": ");
			lr_json_str(r[i].type);
			printf(", \"source\": \"%s\"}", r[i].source);
		} else if (o->listremotes_long) {
			printf("%s:%*s %s\n", r[i].name, w - (int)strlen(r[i].name), "", r[i].type);
		} else {
			printf("%s:\n", r[i].name);
		}
	}
	if (o->json)
		printf(n ? "\n]\n" : "]\n");
}

int
cmd_listremotes(struct cli_opts *o)
{
	struct duet_config *c = NULL;
	struct lr_remote *r = NULL;
	char *path = NULL;
	size_t n = 0, cap = 0;
	int ec = EXIT_OK;

	if (duet_config_path(o->config_path, &path) != 0 || duet_config_load(path, &c) != 0) {
		fprintf(stderr, "Error: %s\n", duet_err_msg());
		ec = EXIT_ERROR;
		goto out;
	}
	for (char **e = environ; e != NULL && *e != NULL; e++)
		cap++;
	if ((r = duet_calloc(c->nsec + cap + 1, sizeof(*r))) == NULL) {
		fprintf(stderr, "Error: out of memory\n");
		ec = EXIT_FATAL;
		goto out;
	}
	for (size_t i = 0; i < c->nsec; i++, n++) {
		const char *t = duet_config_getenv(c->sec[i].name, "type");
		snprintf(r[n].name, sizeof(r[n].name), "%s", c->sec[i].name);
		r[n].type = t ? t : duet_config_get(c, c->sec[i].name, "type");
		r[n].type = r[n].type ? r[n].type : "";
		r[n].source = "file";
	}
	for (char **e = environ; e != NULL && *e != NULL; e++)
		if (lr_env_name(*e, r[n].name, sizeof(r[n].name)) && !lr_in_file(c, r[n].name)) {
			r[n].type = strchr(*e, '=') + 1;
			r[n++].source = "environment";
		}
	lr_print(o, r, n);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "Error: can't write to standard output\n");
		ec = EXIT_ERROR;
	}
out:
	duet_free(r);
	duet_free(path);
	duet_config_free(c);
	return ec;
}
